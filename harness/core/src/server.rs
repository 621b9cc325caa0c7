//! The lifecycle every mock server shares: serve an axum router on a bound
//! listener until asked to stop, stop gracefully within a bound, and stop when
//! dropped, so a test or run that forgets to shut a mock down never leaves it
//! serving.

use std::sync::Mutex;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long [`ServerHandle::shutdown`] waits for in-flight requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// A running axum server.
#[derive(Debug)]
pub struct ServerHandle {
    cancel: CancellationToken,
    task: Mutex<Option<JoinHandle<std::io::Result<()>>>>,
}

impl ServerHandle {
    /// Serves `app` on `listener` in a background task.
    pub fn spawn(listener: tokio::net::TcpListener, app: axum::Router) -> ServerHandle {
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });
        ServerHandle {
            cancel,
            task: Mutex::new(Some(task)),
        }
    }

    /// Stops accepting, waits up to [`SHUTDOWN_GRACE`] for in-flight requests,
    /// then aborts. Calling it twice is harmless.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        let task = match self.task.lock() {
            Ok(mut g) => g.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(mut t) = task
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut t).await.is_err()
        {
            t.abort();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn serving() -> (std::net::SocketAddr, ServerHandle) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        (addr, ServerHandle::spawn(listener, app))
    }

    async fn answers(addr: std::net::SocketAddr) -> bool {
        let client = crate::http::base_client().expect("client");
        client
            .get(format!("http://{addr}/"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    #[tokio::test]
    async fn serves_until_shut_down_and_shutdown_is_idempotent() {
        let (addr, server) = serving().await;
        assert!(answers(addr).await);
        server.shutdown().await;
        assert!(!answers(addr).await, "still serving after shutdown");
        server.shutdown().await;
    }

    #[tokio::test]
    async fn dropping_the_handle_stops_the_server() {
        let (addr, server) = serving().await;
        assert!(answers(addr).await);
        drop(server);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!answers(addr).await, "still serving after drop");
    }
}
