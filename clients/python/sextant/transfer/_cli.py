"""`sextant import SOURCE PATH …` and `sextant export PROJECT DIR …`."""
from __future__ import annotations

import argparse
import sys

from .._errors import SextantError
from ._import import SOURCES, add_common_arguments, run_import, source_module
from ._source import SourceError


def add_parsers(sub: "argparse._SubParsersAction") -> None:
    imp = sub.add_parser("import", help="import runs from Neptune, TensorBoard, MLflow, W&B or a Sextant export",
                         description="Imports runs through the server's API, resumably: run it again "
                                     "after an interruption and it finishes what is left.")
    src = imp.add_subparsers(dest="source", metavar="SOURCE")
    for name in SOURCES:
        try:
            mod = source_module(name)
        except ModuleNotFoundError as e:  # a source module left out of this build
            if not (e.name or "").startswith("sextant."):
                raise
            continue
        sp = src.add_parser(name, help=mod.HELP, description=mod.HELP)
        sp.add_argument("path", metavar="PATH")
        add_common_arguments(sp)
        mod.add_arguments(sp)
    exp = sub.add_parser("export", help="export a project as Parquet (lossless) or CSV",
                         description="Writes every run, attribute, point and file of a project to DIR "
                                     "(docs/format/export.md); `sextant import sextant DIR` reads it back.")
    from . import export as export_mod
    export_mod.add_arguments(exp)


def run(args: argparse.Namespace) -> int:
    prog = f"sextant {args.command}"
    try:
        if args.command == "import":
            if not getattr(args, "source", None):
                print(f"{prog}: say what to import from: {', '.join(SOURCES)}", file=sys.stderr)
                return 2
            return run_import(args.source, args.path, args)
        from . import export as export_mod
        return export_mod.run(args)
    except (SourceError, SextantError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted; run the same command again to finish", file=sys.stderr)
        return 130
