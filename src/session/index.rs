//! The call-history index: one SQLite row per session with the scorecard figures the history
//! page charts. Session directories stay the source of truth; this is a cache that
//! `ringside sessions reindex` rebuilds from them. Used on the daemon's session thread (after
//! each session), in `spawn_blocking` for API reads, and by the `sessions reindex` command.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::session::{self, LoadedSession};

/// Schema version in `PRAGMA user_version`. An index of another version is dropped and
/// rebuilt from the session directories (it holds nothing they don't).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    dir TEXT NOT NULL,
    started_at TEXT NOT NULL,
    duration REAL NOT NULL,
    finished INTEGER NOT NULL,
    repaired INTEGER NOT NULL,
    utterances INTEGER NOT NULL,
    commitment_reached INTEGER NOT NULL,
    talk_share_me REAL,
    questions INTEGER NOT NULL,
    yes_questions INTEGER NOT NULL,
    no_questions INTEGER NOT NULL,
    calibrated_questions INTEGER NOT NULL,
    labels INTEGER NOT NULL,
    yes_ladders INTEGER NOT NULL,
    nos_heard INTEGER NOT NULL,
    commitments INTEGER NOT NULL,
    cues_total INTEGER NOT NULL,
    cues_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_started ON sessions(started_at);
";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("call history {path}: {source}; `ringside sessions reindex` rebuilds it from the session directories")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Session(#[from] session::SessionError),
}

/// One indexed session (a row of `GET /api/sessions`). Ratios 0..1, times in seconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HistoryRow {
    pub id: String,
    pub dir: PathBuf,
    pub started_at: String,
    pub duration: f64,
    pub finished: bool,
    pub repaired: bool,
    pub utterances: u32,
    pub commitment_reached: bool,
    /// Share of speaking time of "me" (`None` when nobody spoke).
    pub talk_share_me: Option<f64>,
    pub questions: u32,
    pub yes_questions: u32,
    pub no_questions: u32,
    pub calibrated_questions: u32,
    pub labels: u32,
    pub yes_ladders: u32,
    pub nos_heard: u32,
    /// Commitment yeses of "them".
    pub commitments: u32,
    pub cues_total: u32,
    /// Cues by id.
    pub cues: BTreeMap<String, u32>,
}

impl HistoryRow {
    pub fn from_session(s: &LoadedSession) -> HistoryRow {
        let c = &s.scorecard;
        HistoryRow {
            id: s.info.id.clone(),
            dir: s.dir.clone(),
            started_at: s.info.started_at.clone(),
            duration: s.info.duration,
            finished: s.info.finished,
            repaired: s.info.repaired,
            utterances: c.me.utterances + c.them.utterances,
            commitment_reached: c.commitment_reached,
            talk_share_me: c.me.share,
            questions: c.questions.total,
            yes_questions: c.questions.yes,
            no_questions: c.questions.no,
            calibrated_questions: c.questions.calibrated,
            labels: c.labels,
            yes_ladders: c.yes_ladders,
            nos_heard: c.nos_heard,
            commitments: c.commitment_yeses,
            cues_total: c.cues.values().sum(),
            cues: c.cues.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }
}

/// What `reindex` did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ReindexReport {
    pub indexed: usize,
    /// Directories that could not be loaded, with the reason.
    pub skipped: Vec<String>,
}

/// The open index.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// When set (canonical), only sessions inside this directory are listed or served: an
    /// index shared by several sessions directories must not leak one's calls to another.
    scope: Option<PathBuf>,
}

/// `history.sqlite` inside the sessions directory: one index per sessions directory (an index
/// beside it was shared by sibling directories). Session directories are named by their
/// timestamp, so the file is never mistaken for a session.
pub fn default_db_path(sessions_dir: &Path) -> PathBuf {
    sessions_dir.join("history.sqlite")
}

/// `INSERT OR REPLACE` of one row (on the connection or inside a transaction).
fn insert_row(conn: &Connection, row: &HistoryRow) -> rusqlite::Result<()> {
    let cues = serde_json::to_string(&row.cues).unwrap_or_else(|_| "{}".into());
    conn.execute(
        "INSERT OR REPLACE INTO sessions (id, dir, started_at, duration, finished, repaired, utterances,
         commitment_reached, talk_share_me, questions, yes_questions, no_questions, calibrated_questions,
         labels, yes_ladders, nos_heard, commitments, cues_total, cues_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        params![
            row.id,
            row.dir.to_string_lossy(),
            row.started_at,
            row.duration,
            row.finished,
            row.repaired,
            row.utterances,
            row.commitment_reached,
            row.talk_share_me,
            row.questions,
            row.yes_questions,
            row.no_questions,
            row.calibrated_questions,
            row.labels,
            row.yes_ladders,
            row.nos_heard,
            row.commitments,
            row.cues_total,
            cues,
        ],
    )?;
    Ok(())
}

/// The index of `sessions_dir`: the configured file (`daemon.db`) or the default one inside it.
pub fn db_path(configured: Option<&Path>, sessions_dir: &Path) -> PathBuf {
    configured.map_or_else(|| default_db_path(sessions_dir), Path::to_path_buf)
}

impl Store {
    /// Opens (creating) the index at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|source| StoreError::Create {
                    path: dir.to_path_buf(),
                    source,
                })?;
        }
        // Created 0600 before SQLite opens it (SQLite would create it 0644 under the usual
        // umask, and its journal takes the database file's mode); an older 0644 file is fixed.
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            let create = |source| StoreError::Create {
                path: path.to_path_buf(),
                source,
            };
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(create)?;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(create)?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sql {
            path: path.to_path_buf(),
            source,
        })?;
        // The daemon and `sessions reindex` may write at once: wait for the other's lock.
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|source| StoreError::Sql {
                path: path.to_path_buf(),
                source,
            })?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
            scope: None,
        };
        store.migrate()?;
        Ok(store)
    }

    /// An index in memory (tests).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sql {
            path: path.clone(),
            source,
        })?;
        let store = Store {
            conn,
            path,
            scope: None,
        };
        store.migrate()?;
        Ok(store)
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(self.sql())?;
        if version != SCHEMA_VERSION {
            self.conn
                .execute_batch("DROP TABLE IF EXISTS sessions;")
                .map_err(self.sql())?;
        }
        self.conn.execute_batch(SCHEMA).map_err(self.sql())?;
        self.conn
            .execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))
            .map_err(self.sql())?;
        Ok(())
    }

    /// Inserts or replaces the row of a loaded session.
    pub fn upsert(&self, row: &HistoryRow) -> Result<(), StoreError> {
        insert_row(&self.conn, row).map_err(self.sql())
    }

    /// Loads the session directory `dir` and indexes it.
    pub fn index_dir(&self, dir: &Path) -> Result<HistoryRow, StoreError> {
        // The row needs the metadata and the scorecard, not the events: a long log is
        // counted, not held.
        let (s, _) = session::store::load_session_page(dir, 0, 0)?;
        let row = HistoryRow::from_session(&s);
        self.upsert(&row)?;
        Ok(row)
    }

    fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<HistoryRow> {
        let dir: String = r.get(1)?;
        let cues: String = r.get(18)?;
        Ok(HistoryRow {
            id: r.get(0)?,
            dir: PathBuf::from(dir),
            started_at: r.get(2)?,
            duration: r.get(3)?,
            finished: r.get(4)?,
            repaired: r.get(5)?,
            utterances: r.get(6)?,
            commitment_reached: r.get(7)?,
            talk_share_me: r.get(8)?,
            questions: r.get(9)?,
            yes_questions: r.get(10)?,
            no_questions: r.get(11)?,
            calibrated_questions: r.get(12)?,
            labels: r.get(13)?,
            yes_ladders: r.get(14)?,
            nos_heard: r.get(15)?,
            commitments: r.get(16)?,
            cues_total: r.get(17)?,
            cues: serde_json::from_str(&cues).unwrap_or_default(),
        })
    }

    const COLUMNS: &'static str = "id, dir, started_at, duration, finished, repaired, utterances, commitment_reached,
        talk_share_me, questions, yes_questions, no_questions, calibrated_questions, labels, yes_ladders, nos_heard,
        commitments, cues_total, cues_json";

    /// Limits [`Store::list`] and [`Store::get`] to sessions inside `sessions_dir`.
    pub fn scoped_to(mut self, sessions_dir: &Path) -> Store {
        self.scope = Some(
            std::fs::canonicalize(sessions_dir).unwrap_or_else(|_| sessions_dir.to_path_buf()),
        );
        self
    }

    /// Whether a row's directory is inside the scope (a directory that is gone is not).
    fn in_scope(&self, row: &HistoryRow) -> bool {
        match &self.scope {
            None => true,
            Some(root) => std::fs::canonicalize(&row.dir)
                .map(|d| d.parent() == Some(root.as_path()))
                .unwrap_or(false),
        }
    }

    /// Every indexed session, oldest first.
    pub fn list(&self) -> Result<Vec<HistoryRow>, StoreError> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM sessions ORDER BY started_at, id",
                Self::COLUMNS
            ))
            .map_err(self.sql())?;
        let rows = st.query_map([], Self::row).map_err(self.sql())?;
        let rows = rows.collect::<Result<Vec<_>, _>>().map_err(self.sql())?;
        Ok(rows.into_iter().filter(|r| self.in_scope(r)).collect())
    }

    /// The row of session `id`.
    pub fn get(&self, id: &str) -> Result<Option<HistoryRow>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {} FROM sessions WHERE id = ?1", Self::COLUMNS),
                [id],
                Self::row,
            )
            .optional()
            .map(|r| r.filter(|r| self.in_scope(r)))
            .map_err(self.sql())
    }

    /// Drops the row of session `id`; returns whether there was one.
    pub fn remove(&self, id: &str) -> Result<bool, StoreError> {
        self.conn
            .execute("DELETE FROM sessions WHERE id = ?1", [id])
            .map(|n| n > 0)
            .map_err(self.sql())
    }

    /// Rebuilds the index from the session directories: every row is replaced, rows of
    /// directories that are gone are dropped. One transaction, so readers never see it half done.
    pub fn reindex(&mut self, sessions_dir: &Path) -> Result<ReindexReport, StoreError> {
        let dirs = session::store::session_dirs(sessions_dir)?;
        let path = self.path.clone();
        let sql = |source| StoreError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        tx.execute("DELETE FROM sessions", []).map_err(sql)?;
        let mut report = ReindexReport::default();
        for dir in dirs {
            match session::load_session(&dir) {
                Ok(s) => {
                    insert_row(&tx, &HistoryRow::from_session(&s)).map_err(sql)?;
                    report.indexed += 1;
                }
                Err(e) => report.skipped.push(format!("{}: {e}", dir.display())),
            }
        }
        tx.commit().map_err(sql)?;
        Ok(report)
    }

    /// Indexes the session directories that have no row yet (sessions recorded while no
    /// daemon ran, e.g. by `ringside practice`). Returns how many were added.
    pub fn index_missing(&self, sessions_dir: &Path) -> Result<usize, StoreError> {
        let mut added = 0;
        for dir in session::store::session_dirs(sessions_dir)? {
            let id = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // A session being recorded now (by `analyze`, say) is indexed once it is done.
            if self.get(&id)?.is_some() || session::session_locked(&dir) == Some(true) {
                continue;
            }
            if self.index_dir(&dir).is_ok() {
                added += 1;
            }
        }
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, started: &str) -> HistoryRow {
        HistoryRow {
            id: id.into(),
            dir: PathBuf::from(id),
            started_at: started.into(),
            duration: 12.5,
            finished: true,
            repaired: false,
            utterances: 4,
            commitment_reached: true,
            talk_share_me: Some(0.4),
            questions: 3,
            yes_questions: 1,
            no_questions: 1,
            calibrated_questions: 1,
            labels: 2,
            yes_ladders: 0,
            nos_heard: 1,
            commitments: 1,
            cues_total: 3,
            cues: [("no_heard".to_string(), 2), ("good_label".to_string(), 1)]
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn rows_round_trip_in_start_order() {
        let s = Store::open_in_memory().unwrap();
        s.upsert(&row("b", "2026-11-26T15:00:00+00:00")).unwrap();
        s.upsert(&row("a", "2026-11-26T14:00:00+00:00")).unwrap();
        let mut again = row("b", "2026-11-26T15:00:00+00:00");
        again.talk_share_me = None;
        s.upsert(&again).unwrap();
        let all = s.list().unwrap();
        assert_eq!(
            all.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(all[0], row("a", "2026-11-26T14:00:00+00:00"));
        assert_eq!(all[1].talk_share_me, None);
        assert_eq!(s.get("zz").unwrap(), None);
        assert!(s.remove("a").unwrap());
        assert!(!s.remove("a").unwrap());
        assert_eq!(s.list().unwrap().len(), 1);
        assert_eq!(s.get("a").unwrap(), None);
    }

    #[test]
    fn reindex_of_an_empty_dir_clears_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("h/history.sqlite")).unwrap();
        s.upsert(&row("gone", "2026-01-01T00:00:00+00:00")).unwrap();
        let rep = s.reindex(&dir.path().join("sessions")).unwrap();
        assert_eq!(rep.indexed, 0);
        assert!(s.list().unwrap().is_empty());
    }
}
