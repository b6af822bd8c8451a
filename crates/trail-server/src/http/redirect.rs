//! The optional plain-HTTP listener next to HTTPS: every request gets `308 Permanent Redirect` to
//! the same host, path and query on the HTTPS port, and nothing else is served over plain HTTP.

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// A router that redirects every request to HTTPS on `https_port`.
pub fn router(https_port: u16) -> Router {
    Router::new().fallback(move |uri: Uri, headers: HeaderMap| async move {
        redirect(https_port, &uri, &headers)
    })
}

fn redirect(https_port: u16, uri: &Uri, headers: &HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .and_then(host_without_port);
    let Some(host) = host else {
        return ApiError::invalid_field(
            "host",
            "required",
            "a request to the HTTP listener needs a valid Host header",
        )
        .into_response();
    };
    let port = if https_port == 443 {
        String::new()
    } else {
        format!(":{https_port}")
    };
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let location = format!("https://{host}{port}{path}");
    (
        StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, location)],
    )
        .into_response()
}

/// `example.com:80` → `example.com`, `[::1]:80` → `[::1]`; `None` for something that is not a host.
fn host_without_port(authority: &str) -> Option<&str> {
    let host = if authority.starts_with('[') {
        &authority[..=authority.find(']')?]
    } else {
        authority.split(':').next()?
    };
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:_".contains(&b));
    valid.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case("example.com", "https://example.com:8443/v1/events?q=a")]
    #[case("example.com:8080", "https://example.com:8443/v1/events?q=a")]
    #[case("[::1]:80", "https://[::1]:8443/v1/events?q=a")]
    fn redirects_to_the_same_host_and_path(#[case] host: &str, #[case] expected: &str) {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, host.parse().unwrap());
        let uri: Uri = "/v1/events?q=a".parse().unwrap();
        let answer = redirect(8443, &uri, &headers);
        assert_eq!(answer.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(answer.headers()[header::LOCATION], expected);
    }

    #[test]
    fn port_443_is_left_out_and_a_bad_host_is_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "trail.example.com".parse().unwrap());
        let answer = redirect(443, &"/".parse().unwrap(), &headers);
        assert_eq!(
            answer.headers()[header::LOCATION],
            "https://trail.example.com/"
        );
        headers.insert(header::HOST, "evil.com/x@".parse().unwrap());
        let answer = redirect(443, &"/".parse().unwrap(), &headers);
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    }
}
