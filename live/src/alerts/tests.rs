//! Deliveries against a local HTTP server standing in for the webhook receiver and
//! Telegram's Bot API.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use vela_core::engine::AlertLevel;

use super::*;

const TOKEN_CANARY: &str = "123456:CANARY-telegram-token";

type Received = Arc<Mutex<Vec<(String, String)>>>;

async fn record(State(received): State<Received>, uri: Uri, body: Bytes) -> (StatusCode, String) {
    let path = uri.path().to_owned();
    let failing = path.contains("fail");
    if let Ok(mut list) = received.lock() {
        list.push((path, String::from_utf8_lossy(&body).into_owned()));
    }
    if failing {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "receiver down".to_owned(),
        )
    } else {
        (StatusCode::OK, r#"{"ok":true}"#.to_owned())
    }
}

async fn server() -> (String, Received) {
    let received: Received = Arc::default();
    let app = Router::new()
        .fallback(record)
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}"), received)
}

fn notice(ts: i64, topic: &str) -> Notice {
    Notice {
        ts,
        bot: Some("alpha".to_owned()),
        level: AlertLevel::Critical,
        topic: topic.to_owned(),
        message: "daily loss limit hit: -5.2 %".to_owned(),
    }
}

#[tokio::test]
async fn webhook_and_telegram_receive_the_notice() {
    let (base, received) = server().await;
    let channels = vec![
        Channel::Webhook {
            url: format!("{base}/hook"),
        },
        Channel::Telegram {
            token: ChannelSecret::new(TOKEN_CANARY),
            chat_id: "-100200300".to_owned(),
            api: base.clone(),
        },
    ];
    let mut notifier = Notifier::new(channels, 3, 60_000).expect("notifier");
    let delivery = notifier.notify(&notice(1_000, "loss_limit")).await;
    assert_eq!(delivery, Delivery::Sent(vec![Ok(()), Ok(())]));
    let list = received.lock().expect("lock").clone();
    assert_eq!(list.len(), 2);
    let (path, body) = &list[0];
    assert_eq!(path, "/hook");
    let json: serde_json::Value = serde_json::from_str(body).expect("webhook JSON");
    assert_eq!(json["bot"], "alpha");
    assert_eq!(json["level"], "critical");
    assert_eq!(json["topic"], "loss_limit");
    assert_eq!(
        json["text"],
        "[vela CRITICAL] bot alpha: loss_limit: daily loss limit hit: -5.2 %"
    );
    let (path, body) = &list[1];
    assert_eq!(path, &format!("/bot{TOKEN_CANARY}/sendMessage"));
    let json: serde_json::Value = serde_json::from_str(body).expect("telegram JSON");
    assert_eq!(json["chat_id"], "-100200300");
    assert!(
        json["text"]
            .as_str()
            .is_some_and(|t| t.contains("daily loss limit"))
    );
}

#[tokio::test]
async fn a_failing_channel_is_named_without_its_token_and_does_not_stop_the_others() {
    let (base, received) = server().await;
    let channels = vec![
        Channel::Telegram {
            token: ChannelSecret::new(TOKEN_CANARY),
            chat_id: "42".to_owned(),
            api: format!("{base}/fail"),
        },
        // Nothing listens on port 9 (discard): the connection is refused.
        Channel::Telegram {
            token: ChannelSecret::new(TOKEN_CANARY),
            chat_id: "43".to_owned(),
            api: "http://127.0.0.1:9".to_owned(),
        },
        Channel::Webhook {
            url: format!("{base}/hook"),
        },
    ];
    let debug = format!("{channels:?}");
    assert!(!debug.contains("CANARY"), "{debug}");
    let mut notifier = Notifier::new(channels, 3, 60_000).expect("notifier");
    let Delivery::Sent(results) = notifier.notify(&notice(1_000, "disconnect")).await else {
        panic!("suppressed");
    };
    assert!(results[2].is_ok(), "{results:?}");
    for (result, chat) in results.iter().take(2).zip(["42", "43"]) {
        let error = result.clone().expect_err("failed").to_string();
        assert!(error.contains(&format!("telegram chat {chat}")), "{error}");
        assert!(!error.contains("CANARY"), "{error}");
    }
    assert!(
        results[0]
            .clone()
            .expect_err("failed")
            .to_string()
            .contains("HTTP 500")
    );
    assert_eq!(received.lock().expect("lock").len(), 2);
}

#[tokio::test]
async fn a_storm_is_held_back_and_counted() {
    let (base, received) = server().await;
    let channels = vec![Channel::Webhook {
        url: format!("{base}/hook"),
    }];
    let mut notifier = Notifier::new(channels, 2, 60_000).expect("notifier");
    let mut sent = 0;
    // 50 disconnect notices within 5 s, and one about something else.
    for i in 0..50 {
        if notifier.notify(&notice(i * 100, "disconnect")).await != Delivery::Suppressed {
            sent += 1;
        }
    }
    assert_eq!(sent, 2);
    assert_ne!(
        notifier.notify(&notice(5_000, "kill_switch")).await,
        Delivery::Suppressed
    );
    // A minute after the first, the next disconnect goes out and says what was held back.
    assert_ne!(
        notifier.notify(&notice(60_000, "disconnect")).await,
        Delivery::Suppressed
    );
    let list = received.lock().expect("lock").clone();
    assert_eq!(list.len(), 4);
    assert!(
        list[3]
            .1
            .contains("(48 more disconnect alert(s) held back)"),
        "{}",
        list[3].1
    );
}

#[test]
fn the_limiter_is_a_sliding_window_per_topic() {
    let mut limiter = StormLimiter::new(2, 1_000);
    assert_eq!(limiter.check("a", 0), Verdict::Send { suppressed: 0 });
    assert_eq!(limiter.check("a", 10), Verdict::Send { suppressed: 0 });
    assert_eq!(limiter.check("a", 20), Verdict::Suppress);
    assert_eq!(limiter.check("b", 20), Verdict::Send { suppressed: 0 });
    assert_eq!(limiter.check("a", 999), Verdict::Suppress);
    assert_eq!(limiter.check("a", 1_000), Verdict::Send { suppressed: 2 });
    assert_eq!(limiter.check("a", 1_005), Verdict::Suppress);
    // A time that goes backwards does not open the window early.
    assert_eq!(limiter.check("a", 0), Verdict::Suppress);
}

/// What a local SMTP server received: the envelope and the message.
#[derive(Debug, Default, Clone)]
struct Mail {
    commands: Vec<String>,
    data: String,
}

/// A plain SMTP server on loopback that takes one connection, answering `rcpt_reply`
/// to each `RCPT TO`, and records what the client said.
async fn smtp_server(rcpt_reply: &'static str) -> (u16, tokio::task::JoinHandle<Mail>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let server = tokio::spawn(async move {
        let mut mail = Mail::default();
        let Ok((socket, _)) = listener.accept().await else {
            return mail;
        };
        let (reader, mut writer) = socket.into_split();
        let mut lines = BufReader::new(reader).lines();
        let _ = writer.write_all(b"220 test.local ESMTP\r\n").await;
        let mut in_data = false;
        while let Ok(Some(line)) = lines.next_line().await {
            if in_data {
                if line == "." {
                    in_data = false;
                    let _ = writer.write_all(b"250 2.0.0 queued\r\n").await;
                } else {
                    mail.data.push_str(&line);
                    mail.data.push('\n');
                }
                continue;
            }
            mail.commands.push(line.clone());
            let verb = line
                .split([' ', ':'])
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250-test.local\r\n250 8BITMIME\r\n",
                "RCPT" => rcpt_reply.as_bytes(),
                "DATA" => {
                    in_data = true;
                    b"354 go ahead\r\n"
                }
                "QUIT" => {
                    let _ = writer.write_all(b"221 bye\r\n").await;
                    break;
                }
                _ => b"250 ok\r\n",
            };
            let _ = writer.write_all(reply).await;
        }
        mail
    });
    (port, server)
}

fn email(port: u16, to: &[&str]) -> Channel {
    Channel::Email(EmailChannel {
        host: "127.0.0.1".to_owned(),
        port,
        security: SmtpSecurity::None,
        from: "vela <bot@example.com>".to_owned(),
        to: to.iter().map(|t| (*t).to_owned()).collect(),
        login: None,
    })
}

#[tokio::test]
async fn email_reaches_a_local_smtp_server() {
    let (port, server) = smtp_server("250 ok\r\n").await;
    let mut notifier = Notifier::new(
        vec![email(port, &["me@example.com", "Ops <ops@example.com>"])],
        3,
        60_000,
    )
    .expect("notifier");
    let delivery = notifier.notify(&notice(1_000, "loss_limit")).await;
    assert_eq!(delivery, Delivery::Sent(vec![Ok(())]));
    let mail = server.await.expect("server");
    let envelope = mail.commands.join("\n");
    assert!(
        envelope.contains("MAIL FROM:<bot@example.com>"),
        "{envelope}"
    );
    assert!(envelope.contains("RCPT TO:<me@example.com>"), "{envelope}");
    assert!(envelope.contains("RCPT TO:<ops@example.com>"), "{envelope}");
    assert!(
        mail.data
            .contains("Subject: [vela CRITICAL] bot alpha: loss_limit"),
        "{}",
        mail.data
    );
    assert!(
        mail.data.contains("daily loss limit hit: -5.2 %"),
        "{}",
        mail.data
    );
}

#[tokio::test]
async fn a_refused_recipient_is_a_delivery_error_naming_the_channel() {
    let (port, server) = smtp_server("550 5.1.1 no such user\r\n").await;
    let mut notifier =
        Notifier::new(vec![email(port, &["ghost@example.com"])], 3, 60_000).expect("notifier");
    let Delivery::Sent(results) = notifier.notify(&notice(1_000, "kill_switch")).await else {
        panic!("storm control held back the first notice");
    };
    let error = results[0].clone().expect_err("550 must fail").to_string();
    assert!(error.contains("email to ghost@example.com"), "{error}");
    assert!(error.contains("no such user"), "{error}");
    drop(server);
}

#[test]
fn the_smtp_password_is_never_shown_and_never_sent_in_the_clear() {
    const PASSWORD_CANARY: &str = "CANARY-smtp-password";
    let mut channel = EmailChannel {
        host: "smtp.example.com".to_owned(),
        port: 587,
        security: SmtpSecurity::Starttls,
        from: "bot@example.com".to_owned(),
        to: vec!["me@example.com".to_owned()],
        login: Some(SmtpLogin {
            username: "bot".to_owned(),
            password: ChannelSecret::new(PASSWORD_CANARY),
        }),
    };
    assert!(channel.validate().is_ok());
    let shown = format!("{:?} {}", Channel::Email(channel.clone()), channel.name());
    assert!(!shown.contains(PASSWORD_CANARY), "{shown}");
    channel.security = SmtpSecurity::None;
    let error = channel.validate().expect_err("plain SMTP with a password");
    assert!(error.contains("unencrypted"), "{error}");
    assert!(!error.contains(PASSWORD_CANARY), "{error}");
}
