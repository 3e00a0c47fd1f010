"""What changed between two review runs: the findings that are new, and the findings that are fixed.

Two findings are the same when their rule, component, file and masked-message digest agree
(:attr:`FindingKey.identity`): the line is left out, so a finding whose file gained a line above it stays
the same finding. Equal findings are matched one for one, so a rule that fires twice where it fired once
shows one new finding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from redline.history.location import HistoryError
from redline.history.records import FindingKey, Run, RunDiff
from redline.history.store import REVIEW_COMMANDS, HistoryStore


def compare(
    base: Run, base_keys: Sequence[FindingKey], head: Run, head_keys: Sequence[FindingKey]
) -> RunDiff:
    """The findings of ``head`` not in ``base`` (new) and of ``base`` not in ``head`` (fixed)."""
    new = _unmatched(head_keys, base_keys)
    fixed = _unmatched(base_keys, head_keys)
    return RunDiff(
        base=base,
        head=head,
        new=new,
        fixed=fixed,
        unchanged=len(head_keys) - len(new),
        same_input=base.input_digest is not None and base.input_digest == head.input_digest,
    )


def _unmatched(keys: Sequence[FindingKey], others: Sequence[FindingKey]) -> list[FindingKey]:
    left = Counter(k.identity for k in others)
    out = []
    for k in keys:
        if left[k.identity]:
            left[k.identity] -= 1
        else:
            out.append(k)
    return out


def diff(store: HistoryStore, base_id: int | None = None, head_id: int | None = None) -> RunDiff:
    """Compare two review runs of ``store``. Without ``head_id``: the latest review run; without
    ``base_id``: the review run of the same target before ``head``. Raises :class:`HistoryError`."""
    if head_id is not None:
        head = _review(store, head_id)
    else:
        latest = store.reviews(limit=1)
        if not latest:
            raise HistoryError(f"no review run in {store.path}: run `redline review PATH` twice first")
        head = latest[0]
    if base_id is not None:
        base = _review(store, base_id)
    else:
        earlier = store.reviews(target=head.target, before=head.id, limit=1)
        if not earlier:
            raise HistoryError(
                f"run {head.id} is the only review of {head.target or 'its path'} in the history: "
                "review it again, or name two runs (`redline history diff A B`)"
            )
        base = earlier[0]
    assert base.id is not None and head.id is not None
    return compare(base, store.findings(base.id), head, store.findings(head.id))


def _review(store: HistoryStore, run_id: int) -> Run:
    run = store.run(run_id)
    if run.command not in REVIEW_COMMANDS:
        raise HistoryError(f"run {run_id} is `{run.command}`, not a review: only review runs keep findings")
    return run


__all__ = ["compare", "diff"]
