//! A PostgreSQL schema of its own for each test, on the server
//! `PARLOR_TEST_DATABASE_URL` names (.ci/run sets it; the default is the
//! machine's local server), so runs never see each other's rows.

use std::sync::atomic::{AtomicU32, Ordering};

/// The database the tests use.
pub fn base_url() -> String {
    std::env::var("PARLOR_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A schema made for one test; [`Schema::drop`] removes it with its tables.
pub struct Schema {
    pub name: String,
    /// The database URL with this schema as the search path: what
    /// `--database` takes.
    pub url: String,
}

impl Schema {
    pub async fn new() -> Schema {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "parlor_test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let base = base_url();
        let mut connection = connect(&base).await;
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut connection)
            .await
            .expect("the test schema is created");
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options[search_path]={name}");
        Schema { name, url }
    }

    /// Removes the schema and everything in it.
    pub async fn drop(self) {
        let mut connection = connect(&base_url()).await;
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name))
            .execute(&mut connection)
            .await
            .expect("the test schema is dropped");
    }
}

async fn connect(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} (PARLOR_TEST_DATABASE_URL) is needed for this test: {e}"))
}
