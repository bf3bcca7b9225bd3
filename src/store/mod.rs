//! The redb store on the data drive.
//!
//! One database file, `posd.redb`, in the data folder. Reads run on tokio's blocking pool in
//! their own MVCC snapshot; writes are handed to one dedicated writer thread, each as exactly
//! one durable write transaction that is committed before the caller's future resolves. No
//! redb call ever runs on an async executor thread.
//!
//! The file carries a schema version in `meta`; a newer file than this build knows is refused
//! before anything is written to it.

pub mod health;
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
pub use health::{DriveHealth, Space};
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
/// The database is `Err` while the drive is gone (the handle is closed): the job only replies.
type Job = Box<dyn FnOnce(Result<&Database>, Durability) -> Done + Send>;

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
    /// `None` while the drive is gone, between [`Store::close`] and [`Store::reopen`].
    db: RwLock<Option<Arc<Database>>>,
    health: Arc<DriveHealth>,
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
            db: RwLock::new(Some(db)),
            health: Arc::new(DriveHealth::default()),
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

    fn db(&self) -> Result<Arc<Database>> {
        self.inner.current()
    }

    /// The drive's health as the store sees it (problem, free space).
    pub fn health(&self) -> &DriveHealth {
        &self.inner.health
    }

    /// Run `f` in a read snapshot on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&redb::ReadTransaction) -> Result<T> + Send + 'static,
    {
        let db = self.db()?;
        let health = self.inner.health.clone();
        tokio::task::spawn_blocking(move || {
            let r = db.begin_read().map_err(storage).and_then(|txn| f(&txn));
            health.observe(&r);
            r
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
        self.inner.health.check_writable()?;
        let (tx, rx) = oneshot::channel();
        let health = self.inner.health.clone();
        let job: Job = Box::new(move |db: Result<&Database>, durability: Durability| {
            // Checked again on the writer: the drive may have failed while this job queued.
            let r = health
                .check_writable()
                .and(db)
                .and_then(|db| write_with(db, durability, f));
            match r {
                Ok(v) => Done {
                    committed: true,
                    reply: Box::new(move |durable: Result<()>| {
                        let r = durable.map(|()| v);
                        health.observe(&r);
                        let _ = tx.send(r);
                    }),
                },
                Err(e) => Done {
                    committed: false,
                    reply: Box::new(move |_| {
                        health.observe::<()>(&Err(e.clone()));
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
        let db = self.db()?;
        write_now(&db, f)
    }

    pub fn read_blocking<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&redb::ReadTransaction) -> Result<T>,
    {
        let txn = self.db()?.begin_read().map_err(storage)?;
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

impl Inner {
    fn current(&self) -> Result<Arc<Database>> {
        let g = match self.db.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.clone()
            .ok_or_else(|| Error::storage("the database is closed until the data drive is back"))
    }

    fn slot(&self) -> std::sync::RwLockWriteGuard<'_, Option<Arc<Database>>> {
        match self.db.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

impl Store {
    /// Close the database and open the same file again: after the drive came back (a new
    /// device, possibly) or after a redb IO error, which leaves the old handle refusing writes.
    /// Never creates a file: a drive without `posd.redb` is refused, so an empty stick or the
    /// SD card's bare mount-point folder never silently becomes a new, empty restaurant.
    /// Blocking (file IO); call it from the blocking pool.
    pub fn reopen(&self) -> std::result::Result<(), OpenError> {
        let path = &self.inner.path;
        if !path.is_file() {
            return Err(OpenError::Io(format!(
                "{} is missing; is this the right data drive?",
                path.display()
            )));
        }
        // Can the file be written at all? If not (read-only or dead file system), keep the old
        // handle: it still serves reads on a read-only drive.
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| OpenError::Io(format!("{} cannot be written: {e}", path.display())))?;
        self.close()?;
        let db = open_db(path)?;
        *self.inner.slot() = Some(Arc::new(db));
        self.inner.health.mark_healthy();
        Ok(())
    }

    /// Is a database handle open?
    pub fn is_open(&self) -> bool {
        self.inner.current().is_ok()
    }

    /// Drop the database handle (after the drive went away), so the kernel can release the
    /// dead file system and nothing more is written to it. Reads and writes fail with 503
    /// until [`Store::reopen`]. Blocking: waits for in-flight transactions.
    pub fn close(&self) -> std::result::Result<(), OpenError> {
        let old = self.inner.slot().take();
        if let Some(mut old) = old {
            // Readers and the writer hold a clone for one transaction only; redb locks the file,
            // so the old handle must be gone before the file is opened again.
            let deadline = Instant::now() + REOPEN_WAIT;
            loop {
                match Arc::try_unwrap(old) {
                    Ok(db) => {
                        drop(db);
                        break;
                    }
                    Err(still) if Instant::now() < deadline => {
                        old = still;
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(still) => {
                        *self.inner.slot() = Some(still);
                        return Err(OpenError::Io(
                            "the old database handle is still in use (a hung write?)".into(),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Fault injection for watchdog tests: queue a write job that never finishes, so the
    /// writer thread hangs exactly as it would on a drive that stopped answering. Only reachable
    /// through `POSD_DEBUG_HOOKS=1` + SIGUSR2 (see `crate::systemd`), never from the network.
    pub fn hang_writer(&self) {
        let job: Job = Box::new(|_db, _durability| {
            tracing::warn!("debug hook: the writer thread now hangs on purpose");
            loop {
                std::thread::park();
            }
        });
        let _ = self.inner.jobs.send(job);
    }
}

/// How long `close` waits for in-flight transactions on the old handle.
const REOPEN_WAIT: Duration = Duration::from_secs(3);

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
        let db = inner.current();
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
            let run = || match &db {
                Ok(db) => job(Ok(db), durability),
                Err(e) => job(Err(e.clone()), durability),
            };
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
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
        let outcome = match &db {
            Ok(db) if pending_non_durable => write_now(db, |_| Ok(())),
            _ => Ok(()),
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
    if exists {
        // Look before opening for writing: a read-write open touches the file (its header),
        // and a file from a newer posd must be left exactly as it is. A file that needs
        // repair after a power cut can't be opened read-only; the read-write open repairs it
        // and the version is checked again below.
        if let Ok(ro) = b.open_read_only(path) {
            let found = ro
                .begin_read()
                .ok()
                .and_then(|r| txn::schema_version(&r).ok().flatten());
            if let Some(v) = found.filter(|v| *v > SCHEMA_VERSION) {
                return Err(OpenError::TooNew {
                    found: v,
                    known: SCHEMA_VERSION,
                });
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(p: &Path) -> Vec<u8> {
        use sha2::Digest;
        sha2::Sha256::digest(std::fs::read(p).unwrap()).to_vec()
    }

    /// A database written by a newer posd is refused with a clear message and left untouched.
    #[test]
    fn a_newer_database_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .write_blocking(|w| w.set_meta("schema_version", &(SCHEMA_VERSION + 1).to_le_bytes()))
            .unwrap();
        drop(store);
        // Let the writer thread let go of its handle.
        std::thread::sleep(Duration::from_millis(50));
        let file = dir.path().join(DB_FILE);
        let before = digest(&file);
        let err = Store::open(dir.path())
            .err()
            .expect("a newer schema must be refused");
        assert!(
            matches!(err, OpenError::TooNew { found, known } if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION)
        );
        assert!(err.to_string().contains("newer posd"), "{err}");
        assert_eq!(before, digest(&file), "the refused file was modified");
    }

    /// A redb file that is not a posd database is refused, not adopted.
    #[test]
    fn a_foreign_redb_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join(DB_FILE)).unwrap();
        let w = db.begin_write().unwrap();
        {
            let mut t = w
                .open_table(redb::TableDefinition::<u64, u64>::new("theirs"))
                .unwrap();
            t.insert(1, 2).unwrap();
        }
        w.commit().unwrap();
        drop(db);
        assert!(matches!(
            Store::open(dir.path()).err(),
            Some(OpenError::NotPosd)
        ));
    }

    /// Reopening a current database keeps its data.
    #[test]
    fn reopening_keeps_data() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let id = s.write_blocking(|w| w.next_id("x")).unwrap();
        drop(s);
        std::thread::sleep(Duration::from_millis(50));
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.write_blocking(|w| w.next_id("x")).unwrap(), id + 1);
    }
}
