//! The redb store on the data drive.
//!
//! One database file, `posd.redb`, in the data folder. Reads run on tokio's blocking pool in
//! their own MVCC snapshot; writes are handed to one dedicated writer thread, each as exactly
//! one durable write transaction that is committed before the caller's future resolves. No
//! redb call ever runs on an async executor thread.
//!
//! The file carries a schema version in `meta`; a newer file than this build knows is refused
//! before anything is written to it.

pub mod license_records;
pub mod print_records;
pub mod records;
pub mod tables;
mod txn;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use redb::{Database, Durability, ReadableDatabase, WriteTransaction};
use tokio::sync::oneshot;

use crate::error::{Error, Result};
pub use records::Record;
pub use txn::{Reader, Writer};

/// The schema this build writes. Bump with a migration in `migrate`.
pub const SCHEMA_VERSION: u32 = 1;
pub const DB_FILE: &str = "posd.redb";
/// Page cache for the database: today's orders, the menu and staff fit; kept small because
/// on a Pi every MiB of cache is resident memory (measured: 8 MiB cache → 22 MiB peak RSS under
/// the 20-waiter load, 2 MiB → 16 MiB, at the same throughput).
pub const CACHE_BYTES: usize = 2 << 20;

/// Why the store could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The file was written by a newer posd; it is left untouched.
    TooNew {
        found: u32,
        known: u32,
    },
    /// The file exists but is not a posd database.
    NotPosd,
    Io(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::TooNew { found, known } => write!(
                f,
                "the database was written by a newer posd (schema {found}; this posd knows up to {known}); \
                 refusing to open it so nothing is lost. Install the newer posd again."
            ),
            OpenError::NotPosd => write!(
                f,
                "the database file has no posd schema version; is it a posd database?"
            ),
            OpenError::Io(e) => write!(f, "cannot open the database: {e}"),
        }
    }
}
impl std::error::Error for OpenError {}

/// A queued write: runs its closure in its own transaction with the durability it is given and
/// returns what to tell the caller once the batch's durable commit is known.
type Job = Box<dyn FnOnce(&Database, Durability) -> Done + Send>;

/// The outcome of a job, told to its caller only after the batch is durable (or failed).
struct Done {
    /// Whether this job committed (false when its closure failed and it was rolled back).
    committed: bool,
    reply: Box<dyn FnOnce(Result<()>) + Send>,
}

/// Most jobs the writer runs before one durable commit.
pub const MAX_BATCH: usize = 64;

/// Cheap-to-clone handle to the open database and its writer thread.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: RwLock<Arc<Database>>,
    jobs: mpsc::Sender<Job>,
    path: PathBuf,
    /// When the writer last finished a job (for the watchdog's "writer hung" check).
    writer_beat: Arc<std::sync::Mutex<(Instant, bool)>>,
}

impl Store {
    /// Open (or create) the database in `dir`.
    pub fn open(dir: &Path) -> std::result::Result<Store, OpenError> {
        let path = dir.join(DB_FILE);
        let db = open_db(&path)?;
        let db = Arc::new(db);
        let (tx, rx) = mpsc::channel::<Job>();
        let beat = Arc::new(std::sync::Mutex::new((Instant::now(), false)));
        let inner = Arc::new(Inner {
            db: RwLock::new(db),
            jobs: tx,
            path,
            writer_beat: beat.clone(),
        });
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("posd-writer".into())
            .spawn(move || writer_loop(rx, weak, beat))
            .map_err(|e| OpenError::Io(e.to_string()))?;
        Ok(Store { inner })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn db(&self) -> Arc<Database> {
        match self.inner.db.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Run `f` in a read snapshot on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&redb::ReadTransaction) -> Result<T> + Send + 'static,
    {
        let db = self.db();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read().map_err(storage)?;
            f(&txn)
        })
        .await
        .map_err(|e| Error::internal(format!("read task failed: {e}")))?
    }

    /// Run `f` in one durable write transaction on the writer thread. Committed before this
    /// returns `Ok`; on `Err` nothing `f` did is kept.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |db: &Database, durability: Durability| {
            match write_with(db, durability, f) {
                Ok(v) => Done {
                    committed: true,
                    reply: Box::new(move |durable: Result<()>| {
                        let _ = tx.send(durable.map(|()| v));
                    }),
                },
                Err(e) => Done {
                    committed: false,
                    reply: Box::new(move |_| {
                        let _ = tx.send(Err(e));
                    }),
                },
            }
        });
        self.inner
            .jobs
            .send(job)
            .map_err(|_| Error::storage("the store is shut down"))?;
        rx.await
            .map_err(|_| Error::internal("the store writer stopped"))?
    }

    /// The same, for admin commands running without an async runtime.
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&WriteTransaction) -> Result<T>,
    {
        write_now(&self.db(), f)
    }

    pub fn read_blocking<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&redb::ReadTransaction) -> Result<T>,
    {
        let txn = self.db().begin_read().map_err(storage)?;
        f(&txn)
    }

    /// Is the writer stuck inside a job for longer than `limit`? (watchdog input)
    pub fn writer_stuck(&self, limit: Duration) -> bool {
        match self.inner.writer_beat.lock() {
            Ok(g) => g.1 && g.0.elapsed() > limit,
            Err(_) => true,
        }
    }
}

fn write_now<T, F>(db: &Database, f: F) -> Result<T>
where
    F: FnOnce(&WriteTransaction) -> Result<T>,
{
    write_with(db, Durability::Immediate, f)
}

fn write_with<T, F>(db: &Database, durability: Durability, f: F) -> Result<T>
where
    F: FnOnce(&WriteTransaction) -> Result<T>,
{
    let mut txn = db.begin_write().map_err(storage)?;
    txn.set_durability(durability).map_err(storage)?;
    match f(&txn) {
        Ok(v) => {
            txn.commit().map_err(storage)?;
            Ok(v)
        }
        Err(e) => {
            if let Err(abort) = txn.abort() {
                tracing::warn!(error = %abort, "aborting a failed write transaction failed");
            }
            Err(e)
        }
    }
}

/// The writer thread. Group commit: it takes every job already queued (up to [`MAX_BATCH`]),
/// runs each in its own transaction — all but the last with `Durability::None` — and makes
/// the batch durable with the last commit (or an empty durable commit when the last job
/// failed). Only then is any caller answered, so every `Ok` a caller sees is on disk, and
/// each request is still exactly one atomic transaction. Under load this turns N fsyncs
/// into one; alone, a request costs one commit as before.
fn writer_loop(
    rx: mpsc::Receiver<Job>,
    inner: std::sync::Weak<Inner>,
    beat: Arc<std::sync::Mutex<(Instant, bool)>>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let Some(inner) = inner.upgrade() else { break };
        let db = match inner.db.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        drop(inner);
        if let Ok(mut b) = beat.lock() {
            *b = (Instant::now(), true);
        }
        let n = batch.len();
        let mut done = Vec::with_capacity(n);
        let mut pending_non_durable = false;
        for (i, job) in batch.into_iter().enumerate() {
            let durability = if i + 1 == n {
                Durability::Immediate
            } else {
                Durability::None
            };
            // A panicking job must not kill the writer: that request fails, service goes on.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&db, durability))) {
                Ok(d) => {
                    if d.committed {
                        pending_non_durable = i + 1 != n;
                    }
                    done.push(d);
                }
                Err(_) => tracing::error!("a write job panicked; its transaction was rolled back"),
            }
        }
        // The last job rolled back after earlier ones committed without fsync: persist them.
        let outcome = if pending_non_durable {
            write_now(&db, |_| Ok(()))
        } else {
            Ok(())
        };
        // Let go of the database before answering, so a caller that stops posd right after
        // its write can reopen the folder at once.
        drop(db);
        if let Err(e) = &outcome {
            tracing::error!(CODE = e.code, "group commit failed: {}", e.detail);
        }
        for d in done {
            (d.reply)(outcome.clone());
        }
        if let Ok(mut b) = beat.lock() {
            *b = (Instant::now(), false);
        }
    }
}

/// Any redb failure on the request path: the drive is gone, read-only, full or corrupt.
pub fn storage(e: impl std::fmt::Display) -> Error {
    Error::storage(format!(
        "the data drive is not writable or not readable: {e}"
    ))
}

fn open_db(path: &Path) -> std::result::Result<Database, OpenError> {
    let exists = path.exists();
    let mut b = Database::builder();
    // redb's default cache is 1 GiB; a Pi serving one restaurant needs a few MiB.
    b.set_cache_size(CACHE_BYTES);
    let db = if exists {
        b.open(path).map_err(|e| OpenError::Io(e.to_string()))?
    } else {
        b.create(path).map_err(|e| OpenError::Io(e.to_string()))?
    };
    let found = {
        let r = db.begin_read().map_err(|e| OpenError::Io(e.to_string()))?;
        txn::schema_version(&r).map_err(|e| OpenError::Io(e.to_string()))?
    };
    match found {
        Some(v) if v > SCHEMA_VERSION => Err(OpenError::TooNew {
            found: v,
            known: SCHEMA_VERSION,
        }),
        Some(v) => {
            migrate(&db, v)?;
            Ok(db)
        }
        None if exists && has_tables(&db) => Err(OpenError::NotPosd),
        None => {
            init(&db).map_err(|e| OpenError::Io(e.to_string()))?;
            Ok(db)
        }
    }
}

fn has_tables(db: &Database) -> bool {
    db.begin_read()
        .ok()
        .and_then(|r| r.list_tables().ok().map(|mut t| t.next().is_some()))
        .unwrap_or(false)
}

/// Create every table and stamp the schema version.
fn init(db: &Database) -> Result<()> {
    write_now(db, |w| {
        txn::create_all(w)?;
        w.set_meta("schema_version", &SCHEMA_VERSION.to_le_bytes())
    })
}

/// Bring an older schema up to [`SCHEMA_VERSION`]. Version 1 is the first; each later version
/// adds a step here, run in one transaction, with a test on a fixture of the old version.
fn migrate(db: &Database, found: u32) -> std::result::Result<(), OpenError> {
    if found == SCHEMA_VERSION {
        // Tables added within a version are created idempotently.
        return write_now(db, txn::create_all).map_err(|e| OpenError::Io(e.to_string()));
    }
    Err(OpenError::Io(format!(
        "no migration from schema {found} to {SCHEMA_VERSION}"
    )))
}
