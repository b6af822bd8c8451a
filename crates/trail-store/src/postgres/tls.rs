//! TLS to PostgreSQL, decided by the URL's libpq parameters and always verified:
//!
//! - `sslmode` absent, `disable`, `allow` or `prefer`: plain TCP. Trail does no opportunistic,
//!   unverified TLS: it would protect against a passive listener only while looking secure.
//! - `sslmode=require`, `verify-ca` or `verify-full`: TLS or no connection, and the server's
//!   certificate must chain to a trusted root and name the host (libpq's `verify-full`, for all
//!   three). As in libpq, `sslrootcert=FILE` (PEM) names the only trusted roots; without it, or
//!   with `sslrootcert=system`, the system's roots are trusted.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::{Result, StoreError};

/// A connection URL with Trail's TLS decision taken out of it.
#[derive(Debug)]
pub(super) struct Prepared {
    /// The URL as `tokio_postgres` accepts it (`sslmode` is `require` or `disable`, no `sslrootcert`).
    pub url: String,
    /// `Some` when TLS is required: the file of trusted roots, `None` for the system's.
    pub tls: Option<Option<PathBuf>>,
}

fn invalid(message: String) -> StoreError {
    StoreError::Internal(format!("invalid PostgreSQL URL: {message}"))
}

/// Reads `sslmode` and `sslrootcert` from a `postgres://…?k=v&…` URL or a `k=v k=v` string.
pub(super) fn prepare(url: &str) -> Result<Prepared> {
    let (head, params, separator) = match url.find("://") {
        Some(_) => match url.split_once('?') {
            Some((head, query)) => (format!("{head}?"), query.to_owned(), '&'),
            None => (url.to_owned(), String::new(), '&'),
        },
        None => (String::new(), url.to_owned(), ' '),
    };
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    for param in params.split(separator).filter(|p| !p.trim().is_empty()) {
        match param.trim().split_once('=') {
            Some(("sslmode", value)) => mode = Some(value.to_owned()),
            Some(("sslrootcert", "system")) => {}
            Some(("sslrootcert", value)) => root = Some(PathBuf::from(value)),
            _ => kept.push(param.trim().to_owned()),
        }
    }
    let tls = match mode.as_deref() {
        None | Some("disable" | "allow" | "prefer") => false,
        Some("require" | "verify-ca" | "verify-full") => true,
        Some(other) => {
            return Err(invalid(format!(
                "sslmode `{other}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
            )));
        }
    };
    if root.is_some() && !tls {
        return Err(invalid(
            "sslrootcert is given but sslmode does not ask for TLS: add sslmode=verify-full".into(),
        ));
    }
    kept.push(format!(
        "sslmode={}",
        if tls { "require" } else { "disable" }
    ));
    let joined = kept.join(&separator.to_string());
    let url = if head.is_empty() {
        joined
    } else if head.ends_with('?') {
        format!("{head}{joined}")
    } else {
        format!("{head}?{joined}")
    };
    Ok(Prepared {
        url,
        tls: tls.then_some(root),
    })
}

/// A connector that verifies the server against `root_file`'s certificates, or the system roots.
pub(super) fn connector(root_file: Option<&PathBuf>) -> Result<MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = root_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
            .map_err(|e| invalid(format!("sslrootcert {}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(invalid(format!(
                "sslrootcert {} holds no PEM certificate",
                path.display()
            )));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| invalid(format!("sslrootcert {}: {e}", path.display())))?;
        }
    }
    if root_file.is_none() {
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
    }
    if roots.is_empty() {
        return Err(invalid(
            "sslmode asks for TLS but no trusted root certificate was found: give sslrootcert=FILE"
                .into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Internal(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_decides_and_is_rewritten_for_tokio_postgres() {
        let plain = prepare("postgres://u@h/db").unwrap();
        assert_eq!(
            (plain.url.as_str(), plain.tls.is_none()),
            ("postgres://u@h/db?sslmode=disable", true)
        );
        let prefer = prepare("postgres://u@h/db?application_name=x&sslmode=prefer").unwrap();
        assert_eq!(
            prefer.url,
            "postgres://u@h/db?application_name=x&sslmode=disable"
        );
        let full = prepare("postgres://u@h/db?sslmode=verify-full&sslrootcert=/ca.pem").unwrap();
        assert_eq!(full.url, "postgres://u@h/db?sslmode=require");
        assert_eq!(full.tls, Some(Some(PathBuf::from("/ca.pem"))));
        let words = prepare("host=h dbname=d sslmode=require").unwrap();
        assert_eq!(words.url, "host=h dbname=d sslmode=require");
        assert_eq!(words.tls, Some(None));
    }

    #[test]
    fn bad_tls_parameters_are_refused() {
        for url in [
            "postgres://h/db?sslmode=always",
            "postgres://h/db?sslrootcert=/ca.pem",
            "postgres://h/db?sslmode=require&sslrootcert=/does/not/exist.pem",
        ] {
            let refused = prepare(url).and_then(|p| match p.tls {
                Some(root) => connector(root.as_ref()).map(drop),
                None => Ok(()),
            });
            assert!(refused.is_err(), "{url}");
        }
    }
}
