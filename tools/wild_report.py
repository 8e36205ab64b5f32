"""How the adapter does on the corpus of real configs (``tests/adapters/wild/``): run by hand, prints a report.

    python tools/wild_report.py            # the whole corpus
    python tools/wild_report.py -v         # also one line per file

For every file: ``from_albumentations(path, strict=True)`` (loads, or the ``UnsupportedTransformError`` it
raises, or any other exception: a loader bug), then ``strict=False`` (what is dropped), then the strict pipeline
(else the non-strict one) on a batch with the config's data keys (``tools/wild_corpus.py``). Prints the strict
load rate, the run rate (loaded strictly and ran), and the refusals of the non-strict loads ranked by transform
name or ``Name.parameter``, counted once per file.
"""

from __future__ import annotations

import argparse
import sys
import traceback
import warnings
from collections import Counter
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kornia_diffaug.adapters.albumentations import UnsupportedTransformError, from_albumentations  # noqa: E402
from wild_corpus import corpus, make_batch, read_config, refusal_key, run  # noqa: E402


def _last_line(e: BaseException) -> str:
    return traceback.format_exception_only(type(e), e)[-1].strip()


def report(verbose: bool = False) -> str:
    entries = corpus()
    strict_ok, ran_strict, ran_loose = [], [], []
    crashes: list[str] = []
    refusals: Counter[str] = Counter()
    first_refusal: Counter[str] = Counter()
    lines = []
    for e in entries:
        cfg = read_config(e.path)
        status, pipe, dropped = "", None, []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pipe = from_albumentations(e.path, strict=True)
                strict_ok.append(e.name)
                status = "strict"
            except UnsupportedTransformError as err:
                status = f"refused: {err}"
                first_refusal[refusal_key(str(err))] += 1
            except Exception as err:  # noqa: BLE001 - a loader bug, reported with its last line
                crashes.append(f"{e.name} (strict): {_last_line(err)}")
                status = f"CRASH: {_last_line(err)}"
            loose = None
            try:
                loose = from_albumentations(e.path, strict=False)
                dropped = list(loose.albumentations_dropped)
            except Exception as err:  # noqa: BLE001
                crashes.append(f"{e.name} (strict=False): {_last_line(err)}")
        for key in {refusal_key(d) for d in dropped}:
            refusals[key] += 1
        target = pipe if pipe is not None else loose
        if target is not None:
            try:
                with torch.no_grad():
                    run(target, make_batch(target, cfg, e.task))
                (ran_strict if pipe is not None else ran_loose).append(e.name)
                status += ", ran"
            except Exception as err:  # noqa: BLE001
                crashes.append(f"{e.name} (run, {'strict' if pipe is not None else 'strict=False'}): "
                               f"{_last_line(err)}")
                status += f", RUN FAILED: {_last_line(err)}"
        lines.append(f"  {e.name}: {status}" + (f" [dropped {len(dropped)}]" if dropped else ""))
    n = len(entries)
    repos = len({e.repo for e in entries})
    out = [f"corpus: {n} files from {repos} repositories (tests/adapters/wild/)",
           f"strict load: {len(strict_ok)}/{n} = {100 * len(strict_ok) / n:.0f}%",
           f"run (strict-loaded and ran on a batch with its data keys): {len(ran_strict)}/{n} = "
           f"{100 * len(ran_strict) / n:.0f}%",
           f"run after strict=False drops: {len(ran_strict) + len(ran_loose)}/{n}",
           "", "refusals (strict=False drops), by transform / parameter, files each:"]
    out += [f"  {c:3d}  {k}" for k, c in sorted(refusals.items(), key=lambda kv: (-kv[1], kv[0]))]
    out += ["", "first refusal of each strict load (what blocks the file), files each:"]
    out += [f"  {c:3d}  {k}" for k, c in sorted(first_refusal.items(), key=lambda kv: (-kv[1], kv[0]))]
    out += ["", f"crashes with another exception type (loader or run bugs): {len(crashes)}"]
    out += [f"  {c}" for c in crashes]
    if verbose:
        out += ["", "per file:", *lines]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per file")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    print(report(args.verbose))


if __name__ == "__main__":
    main()
