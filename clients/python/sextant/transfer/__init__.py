"""Moving history in and out of Sextant: importers (Neptune exports,
TensorBoard, MLflow, W&B, Sextant's own export) and the lossless Parquet
and CSV export. Every importer writes through the native API, like the SDK.
Optional dependencies (pyarrow, protobuf, …) come with
`pip install "sextant[import]"` and are imported only when used."""
