"""Moving appraisals from assignments to people (migration 0004), as a plain function to test.

Before issue 12 an appraisal belonged to an assignment, so a cadre adjusted mid-year (one assignment
ended ``adjusted``, another started in the same county) had two appraisals in one round. Now a person
is appraised once per round. ``merge`` decides, for the appraisals of one cadre in one round, which
row is kept and what it carries, so that nothing is lost:

1. The row kept is the one that holds the county's decision: a real grade (优秀 … 不称职) first, then
   a score, then 不确定等次 with its reason, then a blank row; among equals the one updated last,
   then the higher id. Its grade and score are never changed.
2. Every comment is kept: the comments of the other rows are appended to the kept row's comments,
   each headed with the assignment it was written for and, where it differs, that row's grade and
   score (“〔合并自任职 #12：称职，80.00〕 …”).
3. The 不确定等次 reasons are kept: if the kept row is ungraded, it gets every distinct reason of the
   group (joined with “；”); if it is graded, the other rows' reasons go into its comments under
   “不确定等次原因（合并前）”, because a graded appraisal has no reason for not being graded.

The other rows are deleted (their history stays in the appraisal event table).
"""

GRADE_LABELS = {
    "excellent": "优秀",
    "competent": "称职",
    "basic": "基本称职",
    "incompetent": "不称职",
    "ungraded": "不确定等次",
    "": "未评",
}
REAL_GRADES = {"excellent", "competent", "basic", "incompetent"}
REASON_MAX = 200  # Appraisal.ungraded_reason max_length


def _weight(row):
    grade = row.get("grade") or ""
    return (
        grade in REAL_GRADES,
        row.get("score") is not None,
        grade == "ungraded",
        row.get("updated_at") or 0,
        row["id"],
    )


def merge(rows):
    """``rows``: dicts (id, assignment_id, score, grade, ungraded_reason, comments, updated_at) of
    one cadre in one round. Returns (kept row with its new values, ids to delete)."""
    rows = list(rows)
    if not rows:
        raise ValueError("merge needs at least one appraisal")
    rows.sort(key=_weight, reverse=True)
    kept, others = dict(rows[0]), rows[1:]
    grade = kept.get("grade") or ""
    reason = (kept.get("ungraded_reason") or "").strip()
    if reason and grade == "":
        grade = kept["grade"] = "ungraded"  # a reason without a grade was always meant as 不确定等次
    comments = [(kept.get("comments") or "").strip()] if (kept.get("comments") or "").strip() else []
    reasons = [reason] if reason else []
    moved_reasons = []
    if grade in REAL_GRADES and reason:
        moved_reasons.append(reason)
        kept["ungraded_reason"] = ""
    for row in others:
        text = (row.get("comments") or "").strip()
        other_reason = (row.get("ungraded_reason") or "").strip()
        if text:
            head = f"〔合并自任职 #{row.get('assignment_id')}"
            if (row.get("grade") or "") != grade or row.get("score") != kept.get("score"):
                score = row.get("score")
                head += f"：{GRADE_LABELS.get(row.get('grade') or '', row.get('grade'))}"
                if score is not None:
                    head += f"，{score}"
            comments.append(f"{head}〕 {text}")
        if other_reason:
            if grade == "ungraded":
                if other_reason not in reasons:
                    reasons.append(other_reason)
            elif other_reason not in moved_reasons:
                moved_reasons.append(other_reason)
    if grade == "ungraded":
        joined = "；".join(reasons)
        if len(joined) > REASON_MAX:  # the rest is not lost: it goes to the comments
            comments.append("不确定等次原因（合并前）：" + joined)
            joined = joined[: REASON_MAX - 1] + "…"
        kept["ungraded_reason"] = joined
    if moved_reasons:
        comments.append("不确定等次原因（合并前）：" + "；".join(moved_reasons))
    kept["comments"] = "\n".join(comments)
    return kept, [row["id"] for row in others]


def merge_all(rows):
    """All appraisals (dicts with round_id and cadre_id) → (kept rows that changed, ids to delete)."""
    groups = {}
    for row in rows:
        if row["cadre_id"] is None:  # no cadre found: left alone (the next migration then stops on it)
            continue
        groups.setdefault((row["round_id"], row["cadre_id"]), []).append(row)
    changed, deleted = [], []
    for group in groups.values():
        original = {r["id"]: r for r in group}
        kept, gone = merge(group)
        deleted += gone
        before = original[kept["id"]]
        if any(kept.get(k) != before.get(k) for k in ("grade", "ungraded_reason", "comments")):
            changed.append(kept)
    return changed, deleted
