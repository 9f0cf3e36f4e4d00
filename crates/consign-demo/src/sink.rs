//! The demo's own receivers, so its messages go somewhere real without leaving the machine: an
//! SMTP server that takes every e-mail (and counts it), and a webhook receiver that checks
//! each delivery's Standard Webhooks signature against the endpoint's secret the way a client
//! would, answering 204 (or 401 when a signature does not verify). Both listen on loopback
//! ports of their own and live as long as the demo process.

use consign_core::message::webhook::WebhookSecret;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the receivers have seen so far.
#[derive(Default)]
pub struct SinkCounts {
    pub emails: AtomicU64,
    pub webhooks: AtomicU64,
    pub bad_signatures: AtomicU64,
}

pub struct Sinks {
    /// `smtp://127.0.0.1:<port>`.
    pub smtp_url: String,
    /// `http://127.0.0.1:<port>`; an endpoint is `<base>/<name>`.
    pub webhook_base: String,
    pub counts: Arc<SinkCounts>,
    secrets: Arc<Mutex<HashMap<String, WebhookSecret>>>,
}

impl Sinks {
    pub async fn start() -> std::io::Result<Sinks> {
        let counts = Arc::new(SinkCounts::default());
        let secrets = Arc::new(Mutex::new(HashMap::new()));
        let smtp = TcpListener::bind("127.0.0.1:0").await?;
        let http = TcpListener::bind("127.0.0.1:0").await?;
        let sinks = Sinks {
            smtp_url: format!("smtp://{}", smtp.local_addr()?),
            webhook_base: format!("http://{}", http.local_addr()?),
            counts: counts.clone(),
            secrets: secrets.clone(),
        };
        let c = counts.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = smtp.accept().await {
                tokio::spawn(smtp_session(sock, c.clone()));
            }
        });
        tokio::spawn(async move {
            while let Ok((sock, _)) = http.accept().await {
                tokio::spawn(http_session(sock, counts.clone(), secrets.clone()));
            }
        });
        Ok(sinks)
    }

    /// The receiver checks deliveries to `<base>/<name>` with `secret` (`whsec_…`).
    pub fn trust(&self, name: &str, secret: &str) {
        if let Ok(s) = WebhookSecret::parse(secret) {
            self.secrets
                .lock()
                .expect("sink secrets poisoned")
                .insert(format!("/{name}"), s);
        }
    }

    pub fn emails(&self) -> u64 {
        self.counts.emails.load(Ordering::Relaxed)
    }

    pub fn webhooks(&self) -> u64 {
        self.counts.webhooks.load(Ordering::Relaxed)
    }

    pub fn bad_signatures(&self) -> u64 {
        self.counts.bad_signatures.load(Ordering::Relaxed)
    }
}

/// Just enough SMTP for a client to hand over messages: every command is accepted.
async fn smtp_session(sock: TcpStream, counts: Arc<SinkCounts>) {
    let (read, mut write) = sock.into_split();
    let mut lines = BufReader::new(read);
    if write
        .write_all(b"220 consign-demo mail sink\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let verb = line
            .trim()
            .split(' ')
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => b"250-consign-demo\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "DATA" => {
                if write
                    .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                }
                counts.emails.fetch_add(1, Ordering::Relaxed);
                b"250 accepted\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"250 ok\r\n",
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}

/// HTTP/1.1 POSTs on a kept-alive connection, each checked against its path's secret.
async fn http_session(
    sock: TcpStream,
    counts: Arc<SinkCounts>,
    secrets: Arc<Mutex<HashMap<String, WebhookSecret>>>,
) {
    let (read, mut write) = sock.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request).await.unwrap_or(0) == 0 {
            return;
        }
        let path = request.split(' ').nth(1).unwrap_or("").to_string();
        let mut headers: HashMap<String, String> = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).await.unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
            .min(1 << 20);
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let verified = {
            let secrets = secrets.lock().expect("sink secrets poisoned");
            match (
                secrets.get(&path),
                headers.get("webhook-id"),
                headers
                    .get("webhook-timestamp")
                    .and_then(|t| t.parse::<i64>().ok()),
                headers.get("webhook-signature"),
            ) {
                (Some(secret), Some(id), Some(ts), Some(sigs)) => {
                    let expected = secret.sign(id, ts, &body);
                    sigs.split(' ').any(|s| s == expected)
                }
                _ => false,
            }
        };
        let status = if verified {
            counts.webhooks.fetch_add(1, Ordering::Relaxed);
            "204 No Content"
        } else {
            counts.bad_signatures.fetch_add(1, Ordering::Relaxed);
            "401 Unauthorized"
        };
        let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
        if write.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}
