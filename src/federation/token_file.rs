//! A federated token the platform writes to a file: the convention Azure's
//! SDKs follow for workload identity (`AZURE_FEDERATED_TOKEN_FILE`, written
//! by the Azure workload identity webhook on Kubernetes, by CI runners and by
//! any host that hands its workloads an OIDC token).
//!
//! Takes the file's path and hands back its content as a [`Secret`], read
//! anew at every token request: platforms rotate the file before the token in
//! it expires, so a token read once would go stale in a long run. Errors name
//! the setting and what is wrong with the file, never its content.

use std::path::Path;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// The environment variable naming the file (Azure's SDKs' convention).
pub(crate) const TOKEN_FILE_VAR: &str = "AZURE_FEDERATED_TOKEN_FILE";

/// The token in `path`, read now.
pub(crate) async fn read(path: &Path) -> Result<Secret> {
    let origin = format!("the federated token file {} (--federated-token-file / {TOKEN_FILE_VAR})", path.display());
    let fail = |problem: String| Error::Credentials { origin: origin.clone(), problem };
    let bytes = tokio::fs::read(path).await.map_err(|e| {
        fail(format!(
            "cannot be read: {e}. The platform that issues the workload's OIDC token writes it there (on Kubernetes, the Azure workload identity webhook mounts it); check the path and that this process may read it"
        ))
    })?;
    let text = String::from_utf8(bytes).map_err(|_| fail("is not UTF-8 text: it must hold one JWT".into()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(fail("is empty: it must hold the workload's OIDC token (a JWT)".into()));
    }
    if token.split('.').count() != 3 || token.contains(char::is_whitespace) {
        return Err(fail("does not hold a JWT (three base64url parts separated by dots)".into()));
    }
    Ok(Secret::new(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_the_token_each_time_and_names_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "aaa.bbb.ccc\n").unwrap();
        assert_eq!(read(&path).await.unwrap().expose(), "aaa.bbb.ccc");
        std::fs::write(&path, "ddd.eee.fff").unwrap();
        assert_eq!(read(&path).await.unwrap().expose(), "ddd.eee.fff", "re-read, not cached");
        for (content, needle) in
            [("", "is empty"), ("not a jwt", "does not hold a JWT"), ("a.b", "does not hold a JWT")]
        {
            std::fs::write(&path, content).unwrap();
            let e = read(&path).await.unwrap_err().to_string();
            assert!(e.contains(needle) && e.contains(TOKEN_FILE_VAR), "{e}");
            assert!(content.is_empty() || !e.contains(content), "content echoed: {e}");
        }
        let e = read(&dir.path().join("missing")).await.unwrap_err().to_string();
        assert!(e.contains("cannot be read"), "{e}");
    }
}
