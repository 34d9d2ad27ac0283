//! The command line's `NativeFetch` follows redirects itself (blob storage),
//! at most five, and never carries `Authorization` to another host. Two tiny
//! HTTP servers on 127.0.0.1 play the registry and the storage host.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

use layerlens::native::NativeFetch;
use layerlens::registry::{read_to_end, Fetch, Headers, Method, Request};

/// A server that answers every request with `respond(path)` and records the
/// request heads it saw.
fn server(respond: impl Fn(&str) -> String + Send + 'static) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
            log.lock().unwrap().push(head);
            let _ = stream.write_all(respond(&path).as_bytes());
            let _ = stream.flush();
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
        }
    });
    (port, seen)
}

fn redirect(to: &str) -> String {
    format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
}

fn ok(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn get(url: String) -> Request {
    let mut headers = Headers::new();
    headers.push("Authorization", "Bearer secret-token");
    Request {
        method: Method::Get,
        url,
        headers,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn authorization_stays_on_its_host_across_redirects() {
    let (storage, storage_seen) = server(|_| ok("blob bytes"));
    let (registry, registry_seen) = server(move |path| {
        if path == "/v2/a/blobs/first" {
            redirect("/v2/a/blobs/second")
        } else {
            redirect(&format!("http://127.0.0.1:{storage}/data?sig=1"))
        }
    });
    let fetch = NativeFetch::new().unwrap();
    let rt = runtime();
    let body = rt.block_on(async {
        let mut r = fetch
            .fetch(get(format!("http://127.0.0.1:{registry}/v2/a/blobs/first")))
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        read_to_end(&mut r.body, 1024).await.unwrap()
    });
    assert_eq!(body, b"blob bytes");
    let reg = registry_seen.lock().unwrap();
    assert_eq!(reg.len(), 2);
    assert!(
        reg.iter().all(|h| h
            .to_ascii_lowercase()
            .contains("authorization: bearer secret-token")),
        "same host keeps it"
    );
    let sto = storage_seen.lock().unwrap();
    assert_eq!(sto.len(), 1);
    assert!(sto[0].starts_with("GET /data?sig=1 "), "{}", sto[0]);
    assert!(
        !sto[0].to_ascii_lowercase().contains("authorization"),
        "dropped on the cross-host hop: {}",
        sto[0]
    );
}

#[test]
fn redirect_loops_end_after_five_hops() {
    let (port, seen) = server(|path| {
        let n: u32 = path.trim_start_matches("/hop").parse().unwrap_or(0);
        redirect(&format!("/hop{}", n + 1))
    });
    let fetch = NativeFetch::new().unwrap();
    let err = runtime()
        .block_on(fetch.fetch(get(format!("http://127.0.0.1:{port}/hop0"))))
        .err()
        .expect("a loop is an error");
    assert!(err.to_string().contains("more than 5 redirects"), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 6);
}
