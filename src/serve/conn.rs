//! The server's side of a client connection: a write timeout expressed as a
//! minimum throughput.
//!
//! hyper has no write timeout of its own: a client that sends a request and
//! never reads the response leaves the write pending forever, and the body
//! it is writing (a proxied blob, with its upstream slot) stays alive with
//! it. [`SlowClientGuard`] wraps the accepted socket and applies
//! [`MinThroughput`] to writes: once a write has to wait, the client must
//! take at least `bytes` within `window` of waiting, or the write fails with
//! [`io::ErrorKind::TimedOut`]; hyper then closes the connection and drops
//! the response body, which releases its slot. Reads are passed through
//! untouched (hyper's header read timeout covers a client that does not
//! send).

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{sleep_until, Instant, Sleep};

use crate::native::http::throughput::{Meter, MinThroughput};

/// An accepted connection whose writes must keep a minimum throughput.
pub struct SlowClientGuard<IO> {
    inner: IO,
    meter: Meter,
    timer: Option<Pin<Box<Sleep>>>,
}

impl<IO> SlowClientGuard<IO> {
    /// Wraps `inner` with the rule.
    pub fn new(inner: IO, rule: MinThroughput) -> SlowClientGuard<IO> {
        SlowClientGuard {
            inner,
            meter: Meter::new(rule),
            timer: None,
        }
    }

    /// Runs one write-side operation through the meter.
    fn guard<T>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<T>>,
        moved: impl FnOnce(&T) -> u64,
    ) -> Poll<io::Result<T>>
    where
        IO: Unpin,
    {
        match op(Pin::new(&mut self.inner), cx) {
            Poll::Ready(Ok(v)) => {
                self.meter.moved(moved(&v), Instant::now().into_std());
                Poll::Ready(Ok(v))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let deadline = Instant::from_std(self.meter.wait(Instant::now().into_std()));
                let timer = self
                    .timer
                    .get_or_insert_with(|| Box::pin(sleep_until(deadline)));
                if timer.deadline() != deadline {
                    timer.as_mut().reset(deadline);
                }
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        let rule = self.meter.rule();
                        Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!(
                                "the client took less than {} bytes in {} s",
                                rule.bytes,
                                rule.window.as_secs_f32()
                            ),
                        )))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for SlowClientGuard<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for SlowClientGuard<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.guard(cx, |io, cx| io.poll_write(cx, buf), |n| *n as u64)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.guard(cx, |io, cx| io.poll_write_vectored(cx, bufs), |n| *n as u64)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.guard(cx, |io, cx| io.poll_flush(cx), |_| 0)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn rule(ms: u64) -> MinThroughput {
        MinThroughput {
            bytes: 1024,
            window: Duration::from_millis(ms),
        }
    }

    #[tokio::test]
    async fn a_peer_that_never_reads_fails_the_write_after_the_window() {
        let (a, _b) = tokio::io::duplex(64);
        let mut guarded = SlowClientGuard::new(a, rule(200));
        let started = std::time::Instant::now();
        let err = guarded.write_all(&[0; 4096]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(200));
    }

    #[tokio::test]
    async fn a_peer_that_reads_keeps_the_connection() {
        let (a, mut b) = tokio::io::duplex(64);
        let mut guarded = SlowClientGuard::new(a, rule(200));
        let reader = tokio::spawn(async move {
            let mut all = Vec::new();
            b.read_to_end(&mut all).await.map(|_| all.len())
        });
        guarded.write_all(&[7; 64 * 1024]).await.unwrap();
        guarded.shutdown().await.unwrap();
        drop(guarded);
        assert_eq!(reader.await.unwrap().unwrap(), 64 * 1024);
    }
}
