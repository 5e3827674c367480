"""What the search tells PostgreSQL's planner (read side; search_selectors uses it).

GIN keeps no word positions, so a phrase is checked against the stored vector of every
row holding its words, and the planner estimates a phrase as if it were its words ANDed.
The functions here count those rows from the index alone, and read a phrase's newest
matches from a recent window when walking back through time would check too many rows.
"""

from contextlib import contextmanager

from django.db import connections, transaction
from django.db.models import Max, Min, QuerySet

# An estimate this many times the limit is not counted (the estimates of frequent words
# are close; rare words are underestimated, and those get counted).
ESTIMATE_TRUSTED = 5
# A phrase whose words are found together in at most this many rows reads its newest
# matches from the last RECENT_WINDOW of the messages' time span first. 1,000,000
# messages (bench.search's corpus, 2026-12-07): a phrase found in 381 of the 20,604 rows
# holding its words took 70-117 ms walking back through time (71,520 rows checked) and
# 21-41 ms from the window (an index bitmap of the window, ANDed with the words', checks
# 2,500 rows); a phrase of words in 100,000 rows found its page walking in 1-6 ms, from
# the window in 300 ms: past this many rows the walk is left to the planner.
WINDOW_CANDIDATES = 30_000
RECENT_WINDOW = 1 / 8


@contextmanager
def scans_off(kind: str):
    """The planner's `enable_<kind>` off for the statements inside (one transaction),
    then as it was."""
    with transaction.atomic(), connections["default"].cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [f"enable_{kind}"])
        (before,) = cursor.fetchone()
        cursor.execute("SELECT set_config(%s, 'off', true)", [f"enable_{kind}"])
        yield
        cursor.execute("SELECT set_config(%s, %s, true)", [f"enable_{kind}", before])


def candidate_count(*, table: str, words: list[str], cap: int) -> int:
    """How many rows the GIN index gives for every one of `words` (each a term as typed),
    ANDed without positions (what it answers with no check of the rows' vectors); the
    planner's estimate instead when that is far past `cap`. Read from the index scan of
    a one-row query's executed plan: a count(*) would also visit each row's page (40-45
    ms for 5,001 of 20,604 rows at 1,000,000 messages, against 14 ms for the index
    alone). Rows deleted but not yet vacuumed are counted too: this is a cost, not a
    figure shown to anyone. Sequential scans are off for it: with a LIMIT and common
    words the planner expected one to stop early (370 ms against 11 ms at 100,000
    messages); only here, since the ranked queries join other tables, where forbidding
    scans made them 50x slower."""
    tsquery = " && ".join(["plainto_tsquery('simple', %s)"] * len(words))
    sql = f"SELECT 1 FROM {table} WHERE search_vector @@ ({tsquery})"
    estimate = _estimate(sql, words)
    if estimate > ESTIMATE_TRUSTED * cap:
        return estimate
    with scans_off("seqscan"), connections["default"].cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {sql} LIMIT 1", words)
        (plan,) = cursor.fetchone()
    nodes = [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        if node["Node Type"] == "Bitmap Index Scan":
            return int(node["Actual Rows"])
        nodes += node.get("Plans", [])
    return cap + 1  # no index scan: the index is gone (search_index_rebuild); newest first


def _estimate(sql: str, params: list) -> int:
    """The planner's row estimate for `sql`. GIN has no early stop: counting even to the
    limit builds the bitmap of every row holding a frequent word (170-210 ms for a top-50
    word at 1,000,000 messages); the statistics of the vectors' most common words say as
    much in a millisecond."""
    with connections["default"].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()  # psycopg gives the JSON parsed
    return int(plan[0]["Plan"]["Plan Rows"])


def recent_page(rows: QuerySet, *, limit: int) -> list | None:
    """The first `limit` of `rows` (matches, newest first) when the last RECENT_WINDOW of
    the time span holds that many, else None. Index scans are off so that the planner
    ANDs the window's index bitmap with the words' instead of walking back through time:
    it estimates a phrase as common as its words, and expects the walk to stop early."""
    span = rows.model.objects.aggregate(newest=Max("created_at"), oldest=Min("created_at"))
    if span["newest"] is None:
        return []
    since = span["newest"] - (span["newest"] - span["oldest"]) * RECENT_WINDOW
    with scans_off("indexscan"):
        page = list(rows.filter(created_at__gte=since)[:limit])
    return page if len(page) == limit else None
