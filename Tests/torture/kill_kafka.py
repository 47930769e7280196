"""Scenario `kill-kafka` (SPEC §14, §10): SIGKILL at seeded random instants while bronze consumes
a topic of librdkafka's mock cluster (3 brokers, 3 partitions; Tests/e2e/kafka_mock.py).

- `all`: `lake run all` over a topic produced beforehand (a generated dirty clickstream keyed by
  event id), killed, then rerun to completion.
- `follow`: `lake run all --follow` while a producer writes a new topic in random bursts over
  ~2.5 s, killed, the producer finished, then `lake run all` reads to the end.

Every trial checks the state the kill left (consistent catalog, balanced accounting), then after
the rerun: bronze holds every message of its topic exactly once (partition, offset and bytes),
the catalog's next offset of each partition is the partition's message count, and silver,
quarantine and every gold table (SQLite rows and the closed rows' Parquet) equal a clean run's.
Ingest ids are left out of the comparison: they number messages in the order bronze happened to
read the partitions, which a kill changes; what silver and gold decide does not depend on it
(silver's watermark is per partition)."""

import shutil
import threading
import time

from common import (JOB, JOBS, Failed, JobLake, JobTables, Lake, Scenario, after_crash_state,
                    all_columns, check_delta_log, check_job_catalog, compare_rows, duck, job_accounting,
                    job_variant, lake_run, no_run_left_running, ok, require, scan, sorted_rows)
from kafka_mock import produce, topic_messages
from kill import kill_after, run_kills

TOPIC = "clicks"
EVENTS = 20_000
MODES = ("all", "follow")


def plan(full):
    """Trials per mode: 40 in --full, 4 in the slice."""
    if full:
        return {"all": 24, "follow": 16}
    return {"all": 2, "follow": 2}


def kafka_jobs(folder, bootstrap, topic, rows=None):
    """The clickstream job reading `topic` instead of its landing folder (small commits when
    `rows` is given, so a kill lands between many bronze commits too)."""
    changes = {"source": ('landing = "landing/clickstream"\n',
                          f'kind = "kafka"\nbrokers = "{bootstrap}"\ntopic = "{topic}"\n')}
    if rows:
        changes["rows"] = ("max_file_rows = 1_000_000", f"max_file_rows = {rows}")
    return job_variant(folder, **changes)


def bronze_messages(con, lake, tables, topic):
    paths = lake.live_paths(tables.bronze)
    if not paths:
        return []
    got = con.sql(f"SELECT source, source_offset, body FROM {scan(paths)}").fetchall()
    return sorted((int(s.removeprefix(f"kafka:{topic}/")), o, bytes(b)) for s, o, b in got)


def digest(con, lake, tables, closing=True):
    """Silver and quarantine without ingest ids, every gold table's SQLite rows and its closed
    rows' Parquet. Without `closing`, gold's SQLite rows without `is_closed` and no Parquet: which
    rows are closed yet follows the slowest partition's watermark (SPEC §14), so a landing folder
    (one partition) may have closed a few more of the last rows than a topic."""
    out = {}
    silver = lake.live_paths(tables.silver)
    out[tables.silver] = sorted_rows(con.sql(
        f"SELECT {all_columns(lake, tables.silver, skip=('ingest_id',))} FROM {scan(silver)}").fetchall())
    quarantine = lake.live_paths(tables.quarantine)
    out[tables.quarantine] = sorted_rows(con.sql(
        "SELECT reason, body, CASE WHEN reason = 'future_timestamp' THEN NULL ELSE detail END "
        f"FROM {scan(quarantine)}").fetchall()) if quarantine else []
    for table in tables.windowed if closing else ():
        paths = lake.live_paths(table)
        out[f"{table} (Parquet)"] = sorted_rows(con.sql(
            f"SELECT {all_columns(lake, table)} FROM {scan(paths)}").fetchall()) if paths else []
    for table in tables.gold:
        columns = [c for c, in lake.query("SELECT name FROM pragma_table_info(?)", table)
                   if closing or c != "is_closed"]
        out[f"{table} (SQLite)"] = sorted_rows(lake.query(
            f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{table}"'))
    return out


def finished(con, lake, tables, topic, messages, expected):
    """The checks after a rerun to completion (see the module's text)."""
    status = check_job_catalog(lake, tables)
    no_run_left_running(lake)
    check_delta_log(lake, status)
    a = job_accounting(status)
    require(a["pending"] == 0 and a["bronze_rows"] == len(messages),
            f"accounting after the rerun {a}, {len(messages)} messages in {topic}")
    got = bronze_messages(con, lake, tables, topic)
    if got != messages:
        seen = {(p, o) for p, o, _ in got}
        twice = len(got) - len(seen)
        missing = sorted({(p, o) for p, o, _ in messages} - seen)[:5]
        raise Failed(f"bronze holds {len(got)} messages ({twice} more than once), {topic} has "
                     f"{len(messages)}; missing e.g. {missing}")
    positions = dict(lake.query("SELECT source, byte_offset FROM lake_source_position WHERE job = ?", JOB))
    for part in {p for p, _, _ in messages}:
        n = sum(1 for p, _, _ in messages if p == part)
        require(positions.get(f"kafka:{topic}/{part}") == n,
                f"the catalog's next offset of {topic}/{part} is {positions.get(f'kafka:{topic}/{part}')}, "
                f"the partition has {n} messages")
    compare_rows(digest(con, lake, tables), expected)


class Setup:
    """The mock cluster, the produced topic and the clean references."""

    def __init__(self, base, sc, cluster):
        self.base = base
        con = duck()
        self.cluster = cluster
        self.bootstrap = self.cluster.bootstrap
        source = base / "input"
        # No late events: lateness is per partition with Kafka (SPEC §14), so which generated
        # "late" lines are late depends on the partition their key hashes to. A duplicate copy
        # can still come after the single-stream watermark passed its original (a late duplicate
        # from the landing folder, a dropped duplicate from its partition): such inputs are
        # skipped so that the landing-folder reference stays comparable.
        for _ in range(20):
            seed = sc.rng.randrange(1, 1 << 31)
            shutil.rmtree(source, ignore_errors=True)
            m = Lake(base / "gen").generate(out=source, events=EVENTS, users=600, seed=seed, files=1,
                                            jitter=30, duplicates=0.02, malformed=0.005)
            if m["late"] == 0:
                break
        require(m["late"] == 0, "20 generator seeds in a row gave late duplicates")
        self.lines = (source / "events-00000.jsonl").read_bytes().splitlines()
        sc.log(f"input: generator seed {seed}, {len(self.lines)} lines ({m['accepted']} accepted, "
               f"{m['duplicates']} duplicates), mock cluster {self.bootstrap}")
        produce(self.bootstrap, TOPIC, self.lines)
        self.messages = topic_messages(self.bootstrap, TOPIC)
        require(len(self.messages) == len(self.lines), "the topic does not hold every line")
        require(len({p for p, _, _ in self.messages}) == 3, "the keys should spread over 3 partitions")
        self.jobs = {False: kafka_jobs(base / "jobs", self.bootstrap, TOPIC),
                     True: kafka_jobs(base / "jobs-small", self.bootstrap, TOPIC, rows=3000)}
        self.small_jobs = self.jobs[True]  # run_kills hands half the trials these
        self.tables = JobTables(JOB, self.jobs[False])

        ref = JobLake(base / "ref", self.tables, jobs=self.jobs[False])
        t0 = time.monotonic()
        ok(lake_run(ref, "run", "all"))
        self.seconds = {"all": time.monotonic() - t0, "follow": 4.0}
        self.expected = digest(con, ref, self.tables)
        finished(con, ref, self.tables, TOPIC, self.messages, self.expected)
        # The same events from the landing folder give the same silver and gold (the Kafka
        # source changes where lines come from, nothing after bronze).
        landing = Lake(base / "ref-landing")
        landing.landing.mkdir(parents=True)
        (landing.landing / "events.jsonl").write_bytes(b"".join(l + b"\n" for l in self.lines))
        ok(lake_run(landing, "run", "all"))
        compare_rows(digest(con, landing, JobTables(JOB), closing=False),
                     digest(con, ref, self.tables, closing=False))
        sizes = {k: len(v) for k, v in self.expected.items()}
        sc.log(f"clean run {self.seconds['all']:.2f} s, equal to the landing folder's: {sizes}")
        self.topics = 0

    def new_topic(self):
        self.topics += 1
        name = f"follow-{self.topics}"
        self.cluster.command(f"topic {name}:3")
        return name


def trial(s, sc, mode, i, delay, jobs):
    con = duck()
    small = jobs is not JOBS
    lake_dir = s.base / f"t-{mode}-{i}"
    context = f"kafka {mode} trial {i} delay {delay:.3f} s {'small commits' if small else 'default commits'}"
    try:
        if mode == "all":
            topic, messages, folder = TOPIC, s.messages, s.jobs[small]
            lake = JobLake(lake_dir, s.tables, jobs=folder)
            killed = kill_after(lake, ["run", "all"], delay)
        else:
            topic = s.new_topic()
            folder = kafka_jobs(s.base / f"jobs-{topic}", s.bootstrap, topic, rows=3000 if small else None)
            lake = JobLake(lake_dir, JobTables(JOB, folder), jobs=folder)
            n = sc.rng.randint(4, 10)
            ends = sorted(sc.rng.randrange(1, len(s.lines)) for _ in range(n - 1)) + [len(s.lines)]
            bursts = [(end, sc.rng.uniform(0.05, 2.5 / n)) for end in ends]
            producer = threading.Thread(target=produce, args=(s.bootstrap, topic, s.lines),
                                        kwargs={"bursts": bursts}, daemon=True)
            producer.start()
            killed = kill_after(lake, ["run", "all", "--follow", "--interval", "0.2"], delay)
            producer.join(120)
            require(not producer.is_alive(), f"the producer of {topic} did not finish")
            messages = topic_messages(s.bootstrap, topic)
            require(len(messages) == len(s.lines), f"{topic} holds {len(messages)} of {len(s.lines)} lines")
        state = after_crash_state(lake)
        ok(lake_run(lake, "run", "all"))
        finished(con, lake, lake.tables, topic, messages, s.expected)
        # Cases: the state the kill left, the rerun's catalog and offsets, its tables.
        sc.cases += 3
        sc.log(f"{context}: {'killed' if killed else 'finished'}, {state}; rerun equal")
        return killed
    except (Failed, AssertionError) as e:
        sc.fail(f"{context} (seed {sc.seed})", str(e) or repr(e))
        return None
    finally:
        shutil.rmtree(lake_dir, ignore_errors=True)


def scenario(work, seed, full):
    from kafka_mock import MockCluster
    with MockCluster(brokers=3, topics={TOPIC: 3}) as cluster:
        return run_kills("kill-kafka", work, seed, full, lambda base, sc: Setup(base, sc, cluster),
                         plan(full), MODES, trial)
