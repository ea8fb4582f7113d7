-- artifacts-tui store schema, version 6 (core/db.py migrates older stores). Times are UTC seconds since the epoch (REAL).
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('changes', 0);

CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS collections (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id),
    idx INTEGER NOT NULL,
    digest TEXT NOT NULL,
    alg TEXT NOT NULL,
    size INTEGER NOT NULL,
    file_count INTEGER NOT NULL,
    description TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    UNIQUE (collection_id, idx),
    UNIQUE (collection_id, digest)
);

CREATE TABLE IF NOT EXISTS files (
    version_id INTEGER NOT NULL REFERENCES versions(id),
    path TEXT NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (version_id, path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS files_by_digest ON files (digest);

CREATE TABLE IF NOT EXISTS aliases (
    collection_id INTEGER NOT NULL REFERENCES collections(id),
    alias TEXT NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    PRIMARY KEY (collection_id, alias)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_by_version ON aliases (version_id);

CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    job_type TEXT,
    config TEXT NOT NULL DEFAULT '{}',
    summary TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL,
    error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    pid_start INTEGER,
    tags TEXT NOT NULL DEFAULT '[]',
    notes TEXT,
    grp TEXT,
    progress TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_project ON runs (project_id, created_at);

CREATE TABLE IF NOT EXISTS history (
    run_pk INTEGER NOT NULL REFERENCES runs(id),
    step INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_pk, step)
) WITHOUT ROWID;

-- per run and block of 128 steps (core.history_sampling): its steps, rows and each numeric key's [min, max]
CREATE TABLE IF NOT EXISTS history_blocks (
    run_pk INTEGER NOT NULL REFERENCES runs(id),
    block INTEGER NOT NULL,
    first_step INTEGER NOT NULL,
    last_step INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    stats TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_pk, block)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS edges (
    run_pk INTEGER NOT NULL REFERENCES runs(id),
    version_id INTEGER NOT NULL REFERENCES versions(id),
    direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
    created_at REAL NOT NULL,
    PRIMARY KEY (run_pk, version_id, direction)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_by_version ON edges (version_id, direction);
-- a run's artifacts, a page at a time
CREATE INDEX IF NOT EXISTS edges_by_run ON edges (run_pk, direction, created_at);

CREATE TABLE IF NOT EXISTS run_files (
    run_pk INTEGER NOT NULL REFERENCES runs(id),
    path TEXT NOT NULL,
    digest TEXT NOT NULL,
    alg TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (run_pk, path)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS checksum_cache (
    path TEXT NOT NULL,
    alg TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    digest TEXT NOT NULL,
    ctime_ns INTEGER NOT NULL DEFAULT -1,
    PRIMARY KEY (path, alg)
) WITHOUT ROWID;

-- blobs kept alive by something other than a version: the W&B store's cache of fetched files registers them
CREATE TABLE IF NOT EXISTS pinned_blobs (
    owner TEXT NOT NULL,
    alg TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (owner, alg, digest)
) WITHOUT ROWID;

-- what a run prints (stage log lines) and samples (CPU, RSS, GPU), for every viewer of the run
CREATE TABLE IF NOT EXISTS run_logs (
    run_pk INTEGER NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    at REAL NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (run_pk, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS system_metrics (
    run_pk INTEGER NOT NULL REFERENCES runs(id),
    at REAL NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_pk, at)
) WITHOUT ROWID;

-- the runner's launches: queued ones survive a restart of the TUI; started ones name their child process
CREATE TABLE IF NOT EXISTS launches (
    id INTEGER PRIMARY KEY,
    grp TEXT NOT NULL UNIQUE,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    device TEXT,
    pid INTEGER,
    pid_start INTEGER,
    host TEXT,
    exit_code INTEGER,
    error TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL
);

-- a version linked into another collection (W&B's `link_artifact`, a registry's collection): numbered v0, v1, ...
-- in link order within (project, collection); "latest" is the newest link, the other aliases are held here
CREATE TABLE IF NOT EXISTS links (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    project_id INTEGER NOT NULL REFERENCES projects(id),
    collection TEXT NOT NULL,
    idx INTEGER NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    run_pk INTEGER REFERENCES runs(id),
    created_at REAL NOT NULL,
    UNIQUE (project_id, collection, idx),
    UNIQUE (project_id, collection, version_id)
);
