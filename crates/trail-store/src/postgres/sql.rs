//! SQL text with its positional parameters: every user value is bound, never spliced into the text,
//! and every placeholder carries an explicit cast so that its type never depends on inference.

use tokio_postgres::types::ToSql;

type Param = Box<dyn ToSql + Sync + Send>;

#[derive(Default)]
pub(super) struct Sql {
    pub text: String,
    params: Vec<Param>,
}

impl Sql {
    pub fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Binds `value` and returns its placeholder (`$3::text`) without writing it, for expressions
    /// that use one value several times.
    pub fn param(&mut self, value: impl ToSql + Sync + Send + 'static, cast: &str) -> String {
        self.params.push(Box::new(value));
        format!("${}::{cast}", self.params.len())
    }

    /// Binds `value` and writes its placeholder.
    pub fn bind(&mut self, value: impl ToSql + Sync + Send + 'static, cast: &str) {
        let placeholder = self.param(value, cast);
        self.text.push_str(&placeholder);
    }

    pub fn bind_text(&mut self, value: impl Into<String>) {
        self.bind(value.into(), "text");
    }

    pub fn bind_int(&mut self, value: i64) {
        self.bind(value, "bigint");
    }

    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}
