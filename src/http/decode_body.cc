#include "http/decode_body.h"

#include <brotli/decode.h>
#include <zlib.h>

#include <string>

#include "http/message.h"

namespace sextant::http {

namespace {

constexpr size_t kOutChunk = 64 << 10;

class Identity final : public BodyDecoder {
 public:
  using BodyDecoder::BodyDecoder;
  Status Feed(std::string_view in, const Sink& out) override {
    RETURN_IF_ERROR(Count(in.size()));
    return in.empty() ? Status::Ok() : out(in);
  }
  Status Finish() override { return Status::Ok(); }
};

// gzip and zlib ("deflate") streams; concatenated gzip members are allowed.
class Inflate final : public BodyDecoder {
 public:
  explicit Inflate(uint64_t limit) : BodyDecoder(limit) {
    // 15 + 32: a zlib or gzip header, detected automatically.
    ok_ = inflateInit2(&z_, 15 + 32) == Z_OK;
  }
  ~Inflate() override {
    if (ok_) inflateEnd(&z_);
  }
  Status Feed(std::string_view in, const Sink& out) override {
    if (!ok_) return Status::Internal("zlib: cannot initialise");
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    char buf[kOutChunk];
    // Loops while input is left or the last pass filled the output buffer
    // (zlib may hold more output than one buffer).
    bool full = false;
    while (z_.avail_in > 0 || (full && !ended_)) {
      if (ended_) {  // another gzip member follows
        if (inflateReset(&z_) != Z_OK) return Corrupt();
        ended_ = false;
      }
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return Corrupt();
      size_t n = sizeof buf - z_.avail_out;
      RETURN_IF_ERROR(Count(n));
      if (n) RETURN_IF_ERROR(out(std::string_view(buf, n)));
      full = z_.avail_out == 0;
      if (rc == Z_STREAM_END) ended_ = true;
      else if (rc == Z_BUF_ERROR && n == 0) break;
    }
    return Status::Ok();
  }
  Status Finish() override {
    if (!ended_) return Status::InvalidArgument("the compressed request body ended early");
    return Status::Ok();
  }

 private:
  static Status Corrupt() {
    return Status::InvalidArgument("the request body is not valid gzip/deflate data");
  }
  z_stream z_{};
  bool ok_ = false;
  bool ended_ = false;
};

class Brotli final : public BodyDecoder {
 public:
  explicit Brotli(uint64_t limit)
      : BodyDecoder(limit), s_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~Brotli() override {
    if (s_) BrotliDecoderDestroyInstance(s_);
  }
  Status Feed(std::string_view in, const Sink& out) override {
    if (!s_) return Status::Internal("brotli: cannot initialise");
    size_t avail_in = in.size();
    const uint8_t* next_in = reinterpret_cast<const uint8_t*>(in.data());
    uint8_t buf[kOutChunk];
    while (true) {
      size_t avail_out = sizeof buf;
      uint8_t* next_out = buf;
      BrotliDecoderResult rc =
          BrotliDecoderDecompressStream(s_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
      if (rc == BROTLI_DECODER_RESULT_ERROR)
        return Status::InvalidArgument(std::string("the request body is not valid brotli data (") +
                                       BrotliDecoderErrorString(BrotliDecoderGetErrorCode(s_)) + ")");
      size_t n = sizeof buf - avail_out;
      RETURN_IF_ERROR(Count(n));
      if (n) RETURN_IF_ERROR(out(std::string_view(reinterpret_cast<char*>(buf), n)));
      if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
        if (avail_in > 0)
          return Status::InvalidArgument("the request body has data after its brotli stream");
        done_ = true;
        return Status::Ok();
      }
      if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) return Status::Ok();
      // NEEDS_MORE_OUTPUT: loop with a fresh buffer.
    }
  }
  Status Finish() override {
    if (!done_) return Status::InvalidArgument("the brotli request body ended early");
    return Status::Ok();
  }

 private:
  BrotliDecoderState* s_;
  bool done_ = false;
};

}  // namespace

Status BodyDecoder::Count(size_t n) {
  decoded_ += n;
  if (decoded_ > limit_)
    return Status::TooLarge("request body exceeds the limit of " + std::to_string(limit_) +
                            " bytes once decoded");
  return Status::Ok();
}

Result<std::unique_ptr<BodyDecoder>> BodyDecoder::Create(std::string_view encoding,
                                                         uint64_t limit) {
  while (!encoding.empty() && (encoding.back() == ' ' || encoding.back() == '\t'))
    encoding.remove_suffix(1);
  while (!encoding.empty() && (encoding.front() == ' ' || encoding.front() == '\t'))
    encoding.remove_prefix(1);
  if (encoding.empty() || EqualsIgnoreCase(encoding, "identity"))
    return std::unique_ptr<BodyDecoder>(new Identity(limit));
  if (EqualsIgnoreCase(encoding, "gzip") || EqualsIgnoreCase(encoding, "x-gzip") ||
      EqualsIgnoreCase(encoding, "deflate"))
    return std::unique_ptr<BodyDecoder>(new Inflate(limit));
  if (EqualsIgnoreCase(encoding, "br")) return std::unique_ptr<BodyDecoder>(new Brotli(limit));
  return Status::UnsupportedMedia("unsupported Content-Encoding '" + std::string(encoding) +
                                  "' (gzip, deflate and br are accepted)");
}

Result<std::string> DecodeBody(std::string_view encoding, std::string_view body, uint64_t limit) {
  ASSIGN_OR_RETURN(auto dec, BodyDecoder::Create(encoding, limit));
  std::string out;
  RETURN_IF_ERROR(dec->Feed(body, [&](std::string_view piece) {
    out.append(piece);
    return Status::Ok();
  }));
  RETURN_IF_ERROR(dec->Finish());
  return out;
}

}  // namespace sextant::http
