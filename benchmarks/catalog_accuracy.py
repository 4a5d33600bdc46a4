"""Catalog accuracy: every published parameter figure against trillion's exact count.

Run: .venv/bin/python benchmarks/catalog_accuracy.py   (prints a Markdown table for BENCHMARKS.md)
"""

from __future__ import annotations

from trillion.catalog import catalog
from trillion.count import count
from trillion.count.expected import check_expected


def main() -> None:
    print("| model | status | figure | published | trillion | error | rule | ok |")
    print("|---|---|---|---|---|---|---|---|")
    n_ok = n = 0
    errors = []
    for name, entry in sorted(catalog().items(), key=lambda kv: count(kv[1].spec).total_params):
        for check in check_expected(entry, count(entry.spec)):
            rel = check.rel_error
            n += 1
            n_ok += check.ok
            if rel is not None and not check.published.startswith(">"):
                errors.append(abs(rel))
            print(
                f"| {name} | {entry.status} | {check.field} | {check.published} | {check.computed:,} "
                f"| {'' if rel is None else f'{rel:+.3%}'} | {check.rule} | {'yes' if check.ok else 'NO'} |"
            )
    errors.sort()
    median = errors[len(errors) // 2]
    print(f"\n{n_ok}/{n} published figures reproduced; median |error| {median:.3%}, max {max(errors):.3%}")


if __name__ == "__main__":
    main()
