-- provtrace store schema, version 1.  Documented for users in docs/schema.md.
-- Portable SQL: the same text is meant to run on SQLite and PostgreSQL
-- (INTEGER ids assigned by the writer, JSON kept as TEXT, times in ns as BIGINT).

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS machines (
    id          INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    hostname    TEXT NOT NULL,
    os          TEXT,
    kernel      TEXT,
    arch        TEXT,
    cpu_model   TEXT,
    cores       INTEGER,
    mem_bytes   BIGINT,
    gpus        TEXT
);

CREATE TABLE IF NOT EXISTS runs (
    id             INTEGER PRIMARY KEY,
    label          TEXT,
    argv           TEXT NOT NULL,          -- JSON list
    cwd            TEXT NOT NULL,
    username       TEXT,
    machine_id     INTEGER REFERENCES machines(id),
    start_ns       BIGINT NOT NULL,        -- wall clock, ns since the epoch
    end_ns         BIGINT,
    exit_code      INTEGER,                -- as the shell sees it (128+N for signal N)
    signal         INTEGER,                -- signal that killed the command, if any
    job_id         TEXT,                   -- cluster job id (later)
    parent_run_id  INTEGER REFERENCES runs(id),
    env_mode       TEXT NOT NULL,          -- redacted | full | none
    records        BIGINT NOT NULL DEFAULT 0,
    dropped        BIGINT NOT NULL DEFAULT 0,
    torn_bytes     BIGINT NOT NULL DEFAULT 0,
    blind_spots    TEXT NOT NULL DEFAULT '[]', -- JSON list of {kind, detail}
    record_seconds DOUBLE PRECISION,
    ingest_seconds DOUBLE PRECISION,
    bytes_hashed   BIGINT NOT NULL DEFAULT 0,
    provtrace_version TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS processes (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    pid        INTEGER NOT NULL,
    parent_id  INTEGER REFERENCES processes(id),
    ppid       INTEGER,
    creation   TEXT,           -- root | fork | vfork | clone | spawn | shell | orphan
    start_ns   BIGINT,
    end_ns     BIGINT,
    exit_code  INTEGER,
    signal     INTEGER
);

-- Environments are stored once per distinct content (most execs share one).
CREATE TABLE IF NOT EXISTS envs (
    id   INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    env  TEXT NOT NULL                    -- JSON object, secrets redacted unless --env full
);

CREATE TABLE IF NOT EXISTS files (
    id   INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS versions (
    id       INTEGER PRIMARY KEY,
    file_id  INTEGER NOT NULL REFERENCES files(id),
    dev      BIGINT NOT NULL,
    ino      BIGINT NOT NULL,
    size     BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    ctime_ns BIGINT NOT NULL,
    mode     INTEGER,
    hash     TEXT,             -- 'blake3:<hex>' once hashed
    UNIQUE (file_id, dev, ino, size, mtime_ns, ctime_ns)
);

CREATE TABLE IF NOT EXISTS execs (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    process_id INTEGER NOT NULL REFERENCES processes(id),
    seq        INTEGER NOT NULL,          -- 0 = the image the process started with
    ts_ns      BIGINT,
    file_id    INTEGER REFERENCES files(id),
    version_id INTEGER REFERENCES versions(id),
    argv       TEXT NOT NULL,             -- JSON list
    env_id     INTEGER REFERENCES envs(id),  -- NULL with --env none
    cwd        TEXT,
    tracer     TEXT NOT NULL,             -- preload | ptrace | untraced
    exe_class  TEXT                       -- dynamic | static | go | foreign | script | setuid | unknown
);

CREATE TABLE IF NOT EXISTS file_events (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    exec_id     INTEGER REFERENCES execs(id),
    seq         BIGINT NOT NULL,          -- order within the run
    ts_ns       BIGINT,
    op          TEXT NOT NULL,            -- the call: open, stat, rename, ...
    kind        TEXT NOT NULL,            -- read | write | create | delete | rename | exec | stat | readdir | meta | chdir | close
    file_id     INTEGER REFERENCES files(id),
    file2_id    INTEGER REFERENCES files(id),  -- rename/link destination
    flags       BIGINT,
    mode        BIGINT,
    fd          INTEGER,
    result      BIGINT,
    errno       INTEGER,
    version_id  INTEGER REFERENCES versions(id),  -- at open; for op 'close', the version written
    api         TEXT
);

CREATE TABLE IF NOT EXISTS net_events (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    process_id INTEGER NOT NULL REFERENCES processes(id),
    exec_id    INTEGER REFERENCES execs(id),
    seq        BIGINT NOT NULL,
    ts_ns      BIGINT,
    op         TEXT NOT NULL,      -- connect | bind | accept | getaddrinfo
    family     TEXT,               -- inet | inet6 | unix
    address    TEXT,
    port       INTEGER,
    host       TEXT,               -- name asked of getaddrinfo, when known
    fd         INTEGER,
    result     BIGINT,
    errno      INTEGER
);

CREATE TABLE IF NOT EXISTS hash_cache (
    dev      BIGINT NOT NULL,
    ino      BIGINT NOT NULL,
    size     BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    ctime_ns BIGINT NOT NULL,
    hash     TEXT NOT NULL,
    PRIMARY KEY (dev, ino, size, mtime_ns, ctime_ns)
);

CREATE INDEX IF NOT EXISTS file_events_run ON file_events(run_id, kind);
CREATE INDEX IF NOT EXISTS file_events_file ON file_events(file_id);
CREATE INDEX IF NOT EXISTS processes_run ON processes(run_id);
CREATE INDEX IF NOT EXISTS execs_run ON execs(run_id);
CREATE INDEX IF NOT EXISTS net_events_run ON net_events(run_id);
CREATE INDEX IF NOT EXISTS versions_hash ON versions(hash);
-- Analysis (why, status, graph, diff): per-process events, writers of a version, process tree.
CREATE INDEX IF NOT EXISTS file_events_process ON file_events(process_id);
-- who wrote / read this version, by kind (why, status: the writer of a content)
CREATE INDEX IF NOT EXISTS file_events_version_kind ON file_events(version_id, kind);
DROP INDEX IF EXISTS file_events_version; -- superseded by file_events_version_kind
CREATE INDEX IF NOT EXISTS processes_parent ON processes(parent_id);
CREATE INDEX IF NOT EXISTS execs_process ON execs(process_id);
