//! A real SMTP server on a loopback port (the `mailin-embedded` crate), for the e-mail tests:
//! it records each message as it arrived and refuses recipients at `bounce.example` with 550.

use mailin_embedded::{Handler, Response, Server, response};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent: headers and body.
    pub data: String,
}

impl Mail {
    /// A header's value (unfolded), by name, case-insensitive.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut out: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(o) = out.as_mut() {
                    o.push(' ');
                    o.push_str(line.trim());
                }
                continue;
            }
            if out.is_some() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case(name)
            {
                out = Some(v.trim().to_string());
            }
        }
        out
    }
}

#[derive(Clone)]
struct Sink {
    mails: Arc<Mutex<Vec<Mail>>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Sink {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_string();
        self.to.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if to.ends_with("@bounce.example") || to.ends_with("@bounce.example>") {
            return response::NO_MAILBOX;
        }
        self.to.push(to.to_string());
        response::OK
    }

    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.mails.lock().unwrap().push(Mail {
            from: self.from.clone(),
            to: self.to.clone(),
            data: String::from_utf8_lossy(&self.data).into_owned(),
        });
        response::OK
    }
}

pub struct SmtpSink {
    pub url: String,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let mails = Arc::new(Mutex::new(Vec::new()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut server = Server::new(Sink {
            mails: mails.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        });
        server.with_name("sink.test").with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpSink {
            url: format!("smtp://{addr}"),
            mails,
        }
    }

    /// Messages delivered to `to` (an address of the test's own).
    pub fn to(&self, to: &str) -> Vec<Mail> {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains(to)))
            .cloned()
            .collect()
    }
}
