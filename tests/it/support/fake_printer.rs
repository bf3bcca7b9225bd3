//! A fake ESC/POS network printer for tests: listens on 127.0.0.1, answers `DLE EOT 1..4` from
//! its current state, collects job bytes, splits them into tickets at each cut (`GS V`), and can
//! be told at runtime to go offline, run out of paper, open its cover, report an error, stall
//! (stop reading the socket), drop the connection after N job bytes, and recover.
//!
//! Invariant: status requests are answered (or not, when stalled) but never stored; every other
//! byte received is in exactly one ticket, in arrival order. A connection that ends without a cut
//! leaves a partial ticket (`cut == false`), like paper hanging out of a real printer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use posd::print::codepage::CodePage;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// One ticket as it came out of the fake printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedTicket {
    /// Every byte of the ticket, commands included (status requests excluded), up to and
    /// including the cut command.
    pub bytes: Vec<u8>,
    /// False for a ticket cut short by a dropped connection.
    pub cut: bool,
    /// The page selected by the ticket's last `ESC t n`, through the printer's number mapping.
    pub code_page: Option<CodePage>,
}

impl PrintedTicket {
    /// The printed text in the page the ticket selected (PC437, the power-on page, if none):
    /// commands removed, one `\n` per line feed.
    pub fn text(&self) -> String {
        self.text_as(self.code_page.unwrap_or(CodePage::Pc437))
    }

    /// The printed text decoded as `page`.
    pub fn text_as(&self, page: CodePage) -> String {
        let mut tokenizer = Tokenizer::default();
        let text: Vec<u8> = self
            .bytes
            .iter()
            .filter_map(|&b| match tokenizer.push(b) {
                Some(Token::Text(t)) => Some(t),
                _ => None,
            })
            .collect();
        page.decode(&text)
    }
}

#[derive(Default)]
struct State {
    offline: bool,
    cover_open: bool,
    paper_out: bool,
    paper_near_end: bool,
    error: bool,
    garbage_replies: bool,
    /// Stop reading once a connection has received this many job bytes.
    stall_after: Option<usize>,
    /// Close the next connection that reaches this many job bytes (one-shot).
    drop_after: Option<usize>,
    /// Run out of paper once a connection has received this many job bytes (one-shot).
    paper_out_after: Option<usize>,
    esc_t: HashMap<u8, CodePage>,
    tickets: Vec<PrintedTicket>,
    connections: usize,
    status_queries: usize,
}

impl State {
    fn reply(&self, n: u8) -> Option<u8> {
        if self.garbage_replies {
            return Some(0xFF);
        }
        let stopped = self.offline || self.cover_open || self.paper_out || self.error;
        let flag = |on: bool, bits: u8| if on { bits } else { 0 };
        let byte = match n {
            1 => 0x12 | flag(stopped, 0x08),
            2 => {
                0x12 | flag(self.cover_open, 0x04)
                    | flag(self.paper_out, 0x20)
                    | flag(self.error, 0x40)
            }
            3 => 0x12 | flag(self.error, 0x08), // autocutter error
            4 => {
                0x12 | flag(self.paper_out || self.paper_near_end, 0x0C)
                    | flag(self.paper_out, 0x60)
            }
            _ => return None, // real printers ignore unknown n
        };
        Some(byte)
    }
}

struct Shared {
    state: Mutex<State>,
    changed: watch::Sender<()>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.lock());
        self.changed.send_replace(());
    }
}

/// Handle to a running fake printer; dropping it stops the printer and its connections.
pub struct FakePrinter {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakePrinter {
    /// Starts a healthy printer on 127.0.0.1 with Epson's `ESC t` numbering.
    pub async fn start() -> FakePrinter {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake printer");
        let addr = listener.local_addr().expect("fake printer address");
        let (changed, _) = watch::channel(());
        let esc_t = CodePage::ALL
            .iter()
            .map(|&p| (p.epson_esc_t(), p))
            .collect();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                esc_t,
                ..State::default()
            }),
            changed,
        });
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        FakePrinter { addr, shared, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Offline for no named reason (DLE EOT 1 bit 3 only).
    pub fn set_offline(&self, on: bool) {
        self.shared.update(|s| s.offline = on);
    }

    pub fn set_paper_out(&self, on: bool) {
        self.shared.update(|s| s.paper_out = on);
    }

    pub fn set_paper_near_end(&self, on: bool) {
        self.shared.update(|s| s.paper_near_end = on);
    }

    pub fn set_cover_open(&self, on: bool) {
        self.shared.update(|s| s.cover_open = on);
    }

    /// An autocutter error (offline, DLE EOT 2 bit 6, DLE EOT 3 bit 3).
    pub fn set_error(&self, on: bool) {
        self.shared.update(|s| s.error = on);
    }

    /// Answer every status request with 0xFF (not a status byte).
    pub fn set_garbage_replies(&self, on: bool) {
        self.shared.update(|s| s.garbage_replies = on);
    }

    /// Stop reading the socket now (`true`), status requests included, or resume (`false`).
    pub fn set_stalled(&self, on: bool) {
        self.shared.update(|s| s.stall_after = on.then_some(0));
    }

    /// Stop reading once a connection has taken `job_bytes` job bytes.
    pub fn stall_after(&self, job_bytes: usize) {
        self.shared.update(|s| s.stall_after = Some(job_bytes));
    }

    /// Close the next connection that has taken `job_bytes` job bytes.
    pub fn drop_after(&self, job_bytes: usize) {
        self.shared.update(|s| s.drop_after = Some(job_bytes));
    }

    /// Run out of paper once a connection has taken `job_bytes` job bytes.
    pub fn paper_out_after(&self, job_bytes: usize) {
        self.shared.update(|s| s.paper_out_after = Some(job_bytes));
    }

    /// This model's `ESC t n` selects `page` (e.g. 29 -> CP737 on a Jolimark TP850UE).
    pub fn map_esc_t(&self, n: u8, page: CodePage) {
        self.shared.update(|s| {
            s.esc_t.insert(n, page);
        });
    }

    /// Clears every fault: online, cover closed, paper loaded, reading again.
    pub fn recover(&self) {
        self.shared.update(|s| {
            s.offline = false;
            s.cover_open = false;
            s.paper_out = false;
            s.paper_near_end = false;
            s.error = false;
            s.garbage_replies = false;
            s.stall_after = None;
            s.drop_after = None;
            s.paper_out_after = None;
        });
    }

    /// Tickets so far, partial ones included, in arrival order.
    pub fn tickets(&self) -> Vec<PrintedTicket> {
        self.shared.lock().tickets.clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    /// `DLE EOT` requests answered so far.
    pub fn status_queries(&self) -> usize {
        self.shared.lock().status_queries
    }

    /// Waits until at least `n` tickets came out; panics after `timeout` listing what did.
    pub async fn wait_for_tickets(&self, n: usize, timeout: Duration) -> Vec<PrintedTicket> {
        let mut changed = self.shared.changed.subscribe();
        let wait = async {
            loop {
                let tickets = self.tickets();
                if tickets.len() >= n {
                    return tickets;
                }
                if changed.changed().await.is_err() {
                    return self.tickets();
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(tickets) => tickets,
            Err(_) => panic!(
                "fake printer {}: wanted {n} tickets within {timeout:?}, got {:?}",
                self.addr,
                self.tickets()
                    .iter()
                    .map(PrintedTicket::text)
                    .collect::<Vec<_>>()
            ),
        }
    }
}

impl Drop for FakePrinter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Connection tasks live in this set, so aborting this task closes them all.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    shared.update(|s| s.connections += 1);
                    connections.spawn(serve(stream, Arc::clone(&shared)));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// What to do with the byte at hand, decided under the lock.
enum Step {
    Process,
    Stall,
    Drop,
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut tokenizer = Tokenizer::default();
    let mut current: Vec<u8> = Vec::new();
    let mut page: Option<CodePage> = None;
    let mut job_bytes = 0usize;
    let mut unread: Vec<u8> = Vec::new();
    let mut changed = shared.changed.subscribe();
    'conn: loop {
        // Do not even read while stalled: the sender's writes must back up.
        while shared.lock().stall_after.is_some_and(|n| job_bytes >= n) {
            if changed.changed().await.is_err() {
                break 'conn;
            }
        }
        if unread.is_empty() {
            let mut buf = [0u8; 4096];
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => unread.extend_from_slice(&buf[..n]),
            }
        }
        let mut used = 0;
        for &b in &unread {
            let step = {
                let mut s = shared.lock();
                if s.stall_after.is_some_and(|n| job_bytes >= n) {
                    Step::Stall
                } else if s.drop_after.is_some_and(|n| job_bytes >= n) {
                    s.drop_after = None;
                    Step::Drop
                } else {
                    if s.paper_out_after.is_some_and(|n| job_bytes >= n) {
                        s.paper_out_after = None;
                        s.paper_out = true;
                    }
                    Step::Process
                }
            };
            match step {
                Step::Stall => break,
                Step::Drop => break 'conn,
                Step::Process => {}
            }
            used += 1;
            match tokenizer.push(b) {
                None => job_bytes += 1, // first bytes of a command; counted as job bytes
                Some(Token::Status(n)) => {
                    job_bytes = job_bytes.saturating_sub(2); // the DLE EOT prefix was not a job byte
                    let reply = {
                        let mut s = shared.lock();
                        s.status_queries += 1;
                        s.reply(n)
                    };
                    shared.changed.send_replace(());
                    if let Some(byte) = reply
                        && stream.write_all(&[byte]).await.is_err()
                    {
                        break 'conn;
                    }
                }
                Some(Token::Text(t)) => {
                    job_bytes += 1;
                    current.push(t);
                }
                Some(Token::Command(cmd)) => {
                    job_bytes += 1;
                    current.extend_from_slice(&cmd);
                    if let [0x1B, b't', n] = cmd[..] {
                        page = shared.lock().esc_t.get(&n).copied();
                    }
                    if cmd.starts_with(&[0x1D, b'V']) {
                        let bytes = std::mem::take(&mut current);
                        shared.update(|s| {
                            s.tickets.push(PrintedTicket {
                                bytes,
                                cut: true,
                                code_page: page,
                            })
                        });
                    }
                }
            }
        }
        unread.drain(..used);
    }
    // Whatever arrived without a cut is a partial ticket; half a command is lost, as on paper.
    if !current.is_empty() {
        shared.update(|s| {
            s.tickets.push(PrintedTicket {
                bytes: current,
                cut: false,
                code_page: page,
            })
        });
    }
}

/// One ESC/POS unit: a text byte, a complete command, or a real-time status request.
enum Token {
    Text(u8),
    Command(Vec<u8>),
    Status(u8),
}

/// Streaming splitter for the commands posd emits (and a few neighbours): `ESC @`/`ESC 2` are 2
/// bytes, `GS V 65/66/97/98/103/104 n` 4 bytes, other `ESC x n`, `GS x n`, `DLE x n` 3 bytes.
#[derive(Default)]
struct Tokenizer {
    pending: Vec<u8>,
}

impl Tokenizer {
    fn push(&mut self, b: u8) -> Option<Token> {
        if self.pending.is_empty() && !matches!(b, 0x10 | 0x1B | 0x1D) {
            return Some(Token::Text(b));
        }
        self.pending.push(b);
        let p = &self.pending;
        let len = match (p[0], p.get(1), p.get(2)) {
            (0x10, ..) => 3,
            (0x1B, Some(b'@' | b'2'), _) => 2,
            (0x1B, Some(_), _) => 3,
            (0x1D, Some(b'V'), Some(65 | 66 | 97 | 98 | 103 | 104)) => 4,
            (0x1D, Some(_), _) => 3,
            _ => return None,
        };
        if p.len() < len {
            return None;
        }
        let cmd = std::mem::take(&mut self.pending);
        match cmd[..] {
            [0x10, 0x04, n] => Some(Token::Status(n)),
            _ => Some(Token::Command(cmd)),
        }
    }
}
