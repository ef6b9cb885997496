//! The TON Connect endpoints: the manifest wallets read, the payloads
//! proofs sign, and linking a player's wallet. Calls that act for a player
//! carry the player's session token (`welcome.session`) as
//! `Authorization: Bearer <token>`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use crate::auth::SessionClaims;
use crate::ledger::{LinkOutcome, VoucherOutcome, VoucherRequest, WalletLink};
use crate::ton::{check_proof, ProofRequest};

/// Largest `POST /api/ton/link` body read.
pub const MAX_LINK_BODY: usize = 16 * 1024;

/// A refusal: the status, a stable code and a message for people.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        super::api::error(self.status, self.code, self.message)
    }
}

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        code,
        message: message.into(),
    }
}

/// The player a request acts for: the claims of its bearer session token.
fn signed_in(state: &AppState, headers: &HeaderMap, now: u64) -> Result<SessionClaims, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "auth_required",
                "this call needs the player's session token: Authorization: Bearer <welcome.session>",
            )
        })?;
    state
        .sessions
        .verify(token, now)
        .map_err(|e| error(StatusCode::UNAUTHORIZED, e.code().as_str(), e.to_string()))
}

/// What proofs must meet, or the 404 that says linking is off (`[ton]
/// app_url` unset).
fn linking_on(state: &AppState) -> Result<crate::ton::ProofPolicy, ApiError> {
    state.config.ton.policy().ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "ton_off",
            "this server does not link TON wallets ([ton] app_url is not set)",
        )
    })
}

/// `GET /tonconnect-manifest.json`: the app as TON Connect wallets show it.
pub async fn manifest(State(state): State<AppState>) -> Result<Response, ApiError> {
    linking_on(&state)?;
    let ton = &state.config.ton;
    let url = ton.app_url.as_deref().unwrap_or_default();
    let icon = ton
        .icon_url
        .clone()
        .unwrap_or_else(|| format!("{}/web/icon.png", url.trim_end_matches('/')));
    Ok(Json(json!({ "url": url, "name": ton.name, "iconUrl": icon })).into_response())
}

/// `GET /api/ton/payload`: a fresh payload for the signed-in player's
/// wallet to sign.
pub async fn payload(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    linking_on(&state)?;
    let now = super::session::unix_now();
    let player = signed_in(&state, &headers, now)?.player_id;
    let issued = state.ton_payloads.issue(&player, now);
    Ok(Json(json!({ "payload": issued.payload, "expires": issued.expires })).into_response())
}

/// `POST /api/ton/link`'s body: the wallet's account and proof, and
/// whether to replace the player's wallet on that network.
#[derive(Deserialize)]
struct LinkBody {
    #[serde(flatten)]
    request: ProofRequest,
    #[serde(default)]
    replace: bool,
}

/// `POST /api/ton/link`: links the wallet whose `ton_proof` checks out to
/// the signed-in player.
pub async fn link(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let policy = linking_on(&state)?;
    let now = super::session::unix_now();
    let player = signed_in(&state, &headers, now)?.player_id;
    // The route's body limit stops reading at MAX_LINK_BODY.
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is over {MAX_LINK_BODY} bytes"),
            )
        } else {
            error(e.status(), "proof_malformed", e.body_text())
        }
    })?;
    let body: LinkBody = serde_json::from_slice(&body)
        .map_err(|e| error(StatusCode::BAD_REQUEST, "proof_malformed", format!("the body: {e}")))?;
    let wallet = check_proof(&body.request, &policy, now)
        .map_err(|e| error(StatusCode::BAD_REQUEST, e.code(), e.to_string()))?;
    let payload = state
        .ton_payloads
        .check(&body.request.proof.payload, &player, now)
        .map_err(|e| error(StatusCode::BAD_REQUEST, e.code(), e.to_string()))?;
    let link = WalletLink {
        player: player.clone(),
        network: wallet.network.chain_id().into(),
        address: wallet.address.clone(),
        public_key: wallet.public_key.clone(),
        contract: wallet.contract.into(),
        nonce: payload.nonce,
        nonce_expires: payload.expires as i64,
        replace: body.replace,
        now_ms: (now * 1000) as i64,
    };
    let outcome = state.ledger.link_wallet(&link).await.map_err(|e| {
        tracing::error!(error = %e, "linking a wallet failed");
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the wallet could not be linked",
        )
    })?;
    let status = match outcome {
        LinkOutcome::Linked => "linked",
        LinkOutcome::Unchanged => "unchanged",
        LinkOutcome::PayloadUsed => {
            return Err(error(
                StatusCode::CONFLICT,
                "payload_used",
                "this proof's payload was used already; ask for a new one",
            ))
        }
        LinkOutcome::AlreadyLinked { address } => {
            return Err(error(
                StatusCode::CONFLICT,
                "already_linked",
                format!(
                    "{player} has wallet {address} on this network; send \"replace\": true to link this one instead"
                ),
            ))
        }
        LinkOutcome::TakenByOther => {
            return Err(error(
                StatusCode::CONFLICT,
                "wallet_taken",
                "this wallet is linked to another player",
            ))
        }
    };
    Ok(Json(json!({
        "status": status,
        "player": player,
        "wallet": {
            "network": link.network,
            "address": wallet.address,
            "friendly": wallet.friendly,
            "public_key": wallet.public_key,
            "contract": wallet.contract,
        },
    }))
    .into_response())
}

/// `GET /api/ton/wallets`: the signed-in player's linked wallets.
pub async fn wallets(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let player = signed_in(&state, &headers, super::session::unix_now())?.player_id;
    let wallets = state.ledger.wallets(&player).await.map_err(|e| {
        tracing::error!(error = %e, "reading wallets failed");
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the wallets could not be read",
        )
    })?;
    Ok(Json(json!({ "player": player, "wallets": wallets })).into_response())
}

/// `POST /api/rewards/{claim}/voucher`: a signed voucher for one of the
/// signed-in player's claims, paying their wallet on the server's first
/// network (docs/rewards.md).
pub async fn voucher(
    State(state): State<AppState>,
    Path(claim): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let policy = linking_on(&state)?;
    let now = super::session::unix_now();
    let player = signed_in(&state, &headers, now)?.player_id;
    let claim: i64 = claim.parse().ok().filter(|id| *id > 0).ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "a claim id is a positive number",
        )
    })?;
    let network = policy.networks.first().copied().unwrap_or(crate::ton::Network::Mainnet);
    let request = VoucherRequest {
        claim,
        player,
        network: network.chain_id().into(),
        expires_at: u32::try_from(now + u64::from(state.config.ton.voucher_ttl_secs)).unwrap_or(u32::MAX),
    };
    let outcome = state.ledger.voucher(&request).await.map_err(|e| {
        tracing::error!(error = %e, "issuing a voucher failed");
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the voucher could not be issued",
        )
    })?;
    match outcome {
        VoucherOutcome::Issued(voucher) => Ok(Json(voucher).into_response()),
        VoucherOutcome::NoSuchClaim => Err(error(
            StatusCode::NOT_FOUND,
            "no_such_claim",
            format!("there is no claim {claim}"),
        )),
        VoucherOutcome::NotYours => Err(error(
            StatusCode::FORBIDDEN,
            "not_your_claim",
            format!("claim {claim} is another player's"),
        )),
        VoucherOutcome::Settled { status } => Err(error(
            StatusCode::CONFLICT,
            "claim_settled",
            format!("claim {claim} is {status}: it is paid, or being paid, another way"),
        )),
        VoucherOutcome::NoWallet => Err(error(
            StatusCode::CONFLICT,
            "no_wallet",
            format!("link a wallet on {} first (POST /api/ton/link)", network.chain_id()),
        )),
    }
}
