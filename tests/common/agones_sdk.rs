//! A stand-in for Agones' SDK sidecar, NOT Agones: a gRPC server on
//! 127.0.0.1 that answers the published SDK service (`agones.dev.sdk.SDK`:
//! `Ready`, `Health`, `Shutdown`, `GetGameServer`) and the beta Counters
//! service (`agones.dev.sdk.beta.SDK`: `GetCounter`, `UpdateCounter`) the
//! way the sidecar does, and records what it was told. There is no
//! Kubernetes here: it keeps its GameServer's state and Counters in
//! memory, with the Counters and capacities a test declares as a Fleet
//! spec would.
//!
//! The `agones` crate builds only the client of these services, so the
//! server is written on tonic's server pieces (`tonic::server::Grpc` and
//! the prost codec), routing on the request path. Its messages are the
//! crate's public ones (`agones::GameServer`) and prost's `()` for
//! `Empty`; the beta Counter messages are private to the crate, so the
//! few fields the stand-in reads are declared below with their numbers in
//! the published beta.proto.
//!
//! tests/agones.rs includes this file by path rather than through
//! common/mod.rs, which the games' tests share and which has no feature
//! `agones`.
// tonic's `Status`, the error of every gRPC handler, is 176 bytes.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tonic::body::BoxBody;
use tonic::codec::ProstCodec;
use tonic::codegen::{http, Service};
use tonic::server::{Grpc, NamedService};
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status, Streaming};

/// What the stand-in was told, as a test reads it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Seen {
    /// `GetGameServer` calls (the SDK's connect probes with it).
    pub get_game_server: u32,
    /// `Ready` calls.
    pub ready: u32,
    /// `Health` messages, over all health streams.
    pub health_pings: u64,
    /// Health streams opened.
    pub health_streams: u32,
    /// `Shutdown` calls.
    pub shutdown: u32,
    /// Counters by name: the count now.
    pub counters: BTreeMap<String, i64>,
    /// `UpdateCounter` calls refused (unknown counter, out of range).
    pub refused_updates: u32,
    /// `UpdateCounter` calls taken.
    pub updates: u32,
}

/// The stand-in, serving until dropped.
pub struct SdkStandIn {
    /// Its port on 127.0.0.1.
    pub port: u16,
    seen: tokio::sync::watch::Receiver<Seen>,
    stop: tokio_util::sync::CancellationToken,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl SdkStandIn {
    /// Serves on a free port of 127.0.0.1 with the Counters `counters`
    /// (name, capacity), each at 0.
    pub async fn start(counters: &[(&str, i64)]) -> SdkStandIn {
        Self::start_on(0, counters).await
    }

    /// As [`SdkStandIn::start`], on `port` (0: a free one).
    pub async fn start_on(port: u16, counters: &[(&str, i64)]) -> SdkStandIn {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let incoming = TcpIncoming::from_listener(listener, true, None).unwrap();
        let initial = Seen {
            counters: counters.iter().map(|(name, _)| (name.to_string(), 0)).collect(),
            ..Seen::default()
        };
        let (record, seen) = tokio::sync::watch::channel(initial);
        let stop = tokio_util::sync::CancellationToken::new();
        let sidecar = Sidecar(Arc::new(State {
            record,
            capacities: counters.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
            state: Mutex::new("Scheduled"),
            stop: stop.clone(),
        }));
        let stopped = stop.clone().cancelled_owned();
        let server = tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(Named::<Sdk>::new(&sidecar))
                .add_service(Named::<Beta>::new(&sidecar))
                .serve_with_incoming_shutdown(incoming, stopped)
                .await
                .unwrap();
        });
        SdkStandIn {
            port,
            seen,
            stop,
            server: Some(server),
        }
    }

    /// Stops serving and waits until the server has closed its
    /// connections (as a sidecar that went away).
    pub async fn stop(mut self) {
        self.stop.cancel();
        let server = self.server.take().unwrap();
        tokio::time::timeout(crate::common::PATIENCE, server)
            .await
            .expect("the Agones stand-in did not stop")
            .unwrap();
    }

    /// What it was told so far.
    pub fn seen(&self) -> Seen {
        self.seen.borrow().clone()
    }

    /// Waits until what it was told satisfies `condition`, at most
    /// `PATIENCE` (a guard against a hung test), and returns it.
    pub async fn until(&self, what: &str, condition: impl FnMut(&Seen) -> bool) -> Seen {
        let mut seen = self.seen.clone();
        let found = match tokio::time::timeout(crate::common::PATIENCE, seen.wait_for(condition)).await {
            Ok(found) => found.unwrap().clone(),
            Err(_) => panic!("the Agones stand-in never saw {what}; it saw {:?}", self.seen()),
        };
        found
    }
}

impl Drop for SdkStandIn {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

struct State {
    record: tokio::sync::watch::Sender<Seen>,
    capacities: BTreeMap<String, i64>,
    /// The GameServer's state, as `GetGameServer` reports it.
    state: Mutex<&'static str>,
    /// Cancelled when the stand-in stops: open health streams end then.
    stop: tokio_util::sync::CancellationToken,
}

#[derive(Clone)]
struct Sidecar(Arc<State>);

impl Sidecar {
    async fn answer(self, request: http::Request<BoxBody>) -> http::Response<BoxBody> {
        let path = request.uri().path().to_owned();
        match path.as_str() {
            "/agones.dev.sdk.SDK/GetGameServer" => {
                unary(request, move |()| {
                    self.0.record.send_modify(|s| s.get_game_server += 1);
                    Ok(self.game_server())
                })
                .await
            }
            "/agones.dev.sdk.SDK/Ready" => {
                unary(request, move |()| {
                    *self.0.state.lock().unwrap() = "Ready";
                    self.0.record.send_modify(|s| s.ready += 1);
                    Ok(())
                })
                .await
            }
            "/agones.dev.sdk.SDK/Shutdown" => {
                unary(request, move |()| {
                    *self.0.state.lock().unwrap() = "Shutdown";
                    self.0.record.send_modify(|s| s.shutdown += 1);
                    Ok(())
                })
                .await
            }
            "/agones.dev.sdk.SDK/Health" => {
                let health = Health(self);
                Grpc::new(ProstCodec::<(), ()>::default())
                    .client_streaming(health, request)
                    .await
            }
            "/agones.dev.sdk.beta.SDK/GetCounter" => {
                unary(request, move |asked: GetCounterRequest| self.counter(&asked.name)).await
            }
            "/agones.dev.sdk.beta.SDK/UpdateCounter" => {
                unary(request, move |asked: UpdateCounterRequest| {
                    let update = asked
                        .counter_update_request
                        .ok_or_else(|| Status::invalid_argument("no counterUpdateRequest"))?;
                    let answer = self.update_counter(update);
                    if answer.is_err() {
                        self.0.record.send_modify(|s| s.refused_updates += 1);
                    }
                    answer
                })
                .await
            }
            other => Status::unimplemented(format!("the Agones stand-in has no {other}")).into_http(),
        }
    }

    fn game_server(&self) -> agones::GameServer {
        agones::GameServer {
            object_meta: Some(agones::ObjectMeta {
                name: "parlor-stand-in".into(),
                namespace: "default".into(),
                ..Default::default()
            }),
            spec: None,
            status: Some(agones::Status {
                state: self.0.state.lock().unwrap().to_string(),
                address: "127.0.0.1".into(),
                ..Default::default()
            }),
        }
    }

    fn counter(&self, name: &str) -> Result<Counter, Status> {
        let capacity = *self
            .0
            .capacities
            .get(name)
            .ok_or_else(|| Status::not_found(format!("counter not found: {name}")))?;
        let count = self.0.record.borrow().counters[name];
        Ok(Counter {
            name: name.to_owned(),
            count,
            capacity,
        })
    }

    /// As the sidecar: an unknown Counter is NOT_FOUND, a count outside
    /// [0, capacity] OUT_OF_RANGE. Capacity updates are refused here (the
    /// node never sends one).
    fn update_counter(&self, update: CounterUpdateRequest) -> Result<Counter, Status> {
        let mut counter = self.counter(&update.name)?;
        if update.capacity.is_some() {
            return Err(Status::unimplemented(
                "the Agones stand-in keeps capacities as declared",
            ));
        }
        let count = match update.count {
            Some(set) => set.value,
            None => counter.count.saturating_add(update.count_diff),
        };
        if !(0..=counter.capacity).contains(&count) {
            return Err(Status::out_of_range(format!(
                "count {count} is out of range [0, {}] for counter {}",
                counter.capacity, counter.name
            )));
        }
        counter.count = count;
        self.0.record.send_modify(|s| {
            s.updates += 1;
            s.counters.insert(counter.name.clone(), count);
        });
        Ok(counter)
    }
}

/// One unary call of `request`, answered by `f`.
async fn unary<M, R>(
    request: http::Request<BoxBody>,
    f: impl FnOnce(M) -> Result<R, Status> + Send + 'static,
) -> http::Response<BoxBody>
where
    M: prost::Message + Default + Send + 'static,
    R: prost::Message + Send + 'static,
{
    Grpc::new(ProstCodec::<R, M>::default())
        .unary(Unary(Some(f)), request)
        .await
}

/// A function as a tower service of one call (tonic's `UnaryService`).
struct Unary<F>(Option<F>);

impl<M, R, F> Service<Request<M>> for Unary<F>
where
    F: FnOnce(M) -> Result<R, Status>,
{
    type Response = Response<R>;
    type Error = Status;
    type Future = std::future::Ready<Result<Response<R>, Status>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<M>) -> Self::Future {
        let f = self.0.take().expect("a unary call is answered once");
        std::future::ready(f(request.into_inner()).map(Response::new))
    }
}

/// The client-streaming `Health`: every message on the stream is a ping.
struct Health(Sidecar);

impl Service<Request<Streaming<()>>> for Health {
    type Response = Response<()>;
    type Error = Status;
    type Future = Pin<Box<dyn Future<Output = Result<Response<()>, Status>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Streaming<()>>) -> Self::Future {
        let state = self.0 .0.clone();
        Box::pin(async move {
            state.record.send_modify(|s| s.health_streams += 1);
            let mut pings = request.into_inner();
            loop {
                let ping = tokio::select! {
                    ping = pings.message() => ping?,
                    () = state.stop.cancelled() => return Err(Status::unavailable("the Agones stand-in stopped")),
                };
                if ping.is_none() {
                    return Ok(Response::new(()));
                }
                state.record.send_modify(|s| s.health_pings += 1);
            }
        })
    }
}

/// The sidecar under one of its two service names, which tonic's router
/// sends `/NAME/*` to; both answer by path.
struct Named<N>(Sidecar, PhantomData<N>);

/// `agones.dev.sdk.SDK`.
struct Sdk;

/// `agones.dev.sdk.beta.SDK`.
struct Beta;

impl NamedService for Named<Sdk> {
    const NAME: &'static str = "agones.dev.sdk.SDK";
}

impl NamedService for Named<Beta> {
    const NAME: &'static str = "agones.dev.sdk.beta.SDK";
}

impl<N> Named<N> {
    fn new(sidecar: &Sidecar) -> Self {
        Named(sidecar.clone(), PhantomData)
    }
}

impl<N> Clone for Named<N> {
    fn clone(&self) -> Self {
        Named::new(&self.0)
    }
}

impl<N> Service<http::Request<BoxBody>> for Named<N> {
    type Response = http::Response<BoxBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<BoxBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<BoxBody>) -> Self::Future {
        let sidecar = self.0.clone();
        Box::pin(async move { Ok(sidecar.answer(request).await) })
    }
}

// The beta Counter messages the stand-in reads and answers, by their
// field numbers in Agones' published sdk/beta/beta.proto.

/// `agones.dev.sdk.beta.GetCounterRequest`.
#[derive(Clone, PartialEq, prost::Message)]
struct GetCounterRequest {
    #[prost(string, tag = "1")]
    name: String,
}

/// `agones.dev.sdk.beta.Counter`.
#[derive(Clone, PartialEq, prost::Message)]
struct Counter {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(int64, tag = "2")]
    count: i64,
    #[prost(int64, tag = "3")]
    capacity: i64,
}

/// `agones.dev.sdk.beta.UpdateCounterRequest`.
#[derive(Clone, PartialEq, prost::Message)]
struct UpdateCounterRequest {
    #[prost(message, optional, tag = "1")]
    counter_update_request: Option<CounterUpdateRequest>,
}

/// `agones.dev.sdk.beta.CounterUpdateRequest`.
#[derive(Clone, PartialEq, prost::Message)]
struct CounterUpdateRequest {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(message, optional, tag = "2")]
    count: Option<Int64Value>,
    #[prost(message, optional, tag = "3")]
    capacity: Option<Int64Value>,
    #[prost(int64, tag = "4")]
    count_diff: i64,
}

/// `google.protobuf.Int64Value`.
#[derive(Clone, PartialEq, prost::Message)]
struct Int64Value {
    #[prost(int64, tag = "1")]
    value: i64,
}
