//! Names in the campaign's languages: Traditional Chinese, Portuguese and English are required,
//! Simplified Chinese is optional.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Names {
    #[serde(rename = "zh-Hant")]
    pub zh_hant: String,
    pub pt: String,
    pub en: String,
    #[serde(rename = "zh-Hans", skip_serializing_if = "Option::is_none", default)]
    #[schema(nullable = false)]
    pub zh_hans: Option<String>,
}

pub const MAX_NAME_CHARS: usize = 200;

impl Names {
    /// Field-level problems, with the field named as `prefix.lang`.
    pub fn problems(&self, prefix: &str) -> Vec<FieldError> {
        let mut out = Vec::new();
        let mut check = |lang: &str, v: &str| {
            let t = v.trim();
            if t.is_empty() {
                out.push(FieldError {
                    field: format!("{prefix}.{lang}"),
                    message: "required".into(),
                });
            } else if t.chars().count() > MAX_NAME_CHARS {
                out.push(FieldError {
                    field: format!("{prefix}.{lang}"),
                    message: format!("at most {MAX_NAME_CHARS} characters"),
                });
            } else if t.chars().any(|c| c.is_control()) {
                out.push(FieldError {
                    field: format!("{prefix}.{lang}"),
                    message: "control characters are not allowed".into(),
                });
            }
        };
        check("zh-Hant", &self.zh_hant);
        check("pt", &self.pt);
        check("en", &self.en);
        if let Some(h) = &self.zh_hans {
            check("zh-Hans", h);
        }
        out
    }

    pub fn trimmed(&self) -> Names {
        Names {
            zh_hant: self.zh_hant.trim().into(),
            pt: self.pt.trim().into(),
            en: self.en.trim().into(),
            zh_hans: self
                .zh_hans
                .as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("names serialise")
    }

    /// Reads the stored JSON; a damaged value shows as empty names rather than failing a list.
    pub fn from_json(s: &str) -> Names {
        serde_json::from_str(s).unwrap_or(Names {
            zh_hant: String::new(),
            pt: String::new(),
            en: String::new(),
            zh_hans: None,
        })
    }

    pub fn new(zh_hant: &str, pt: &str, en: &str) -> Names {
        Names {
            zh_hant: zh_hant.into(),
            pt: pt.into(),
            en: en.into(),
            zh_hans: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_three_languages_are_required() {
        let n = Names {
            zh_hant: " ".into(),
            pt: "Taipa".into(),
            en: "".into(),
            zh_hans: None,
        };
        let fields: Vec<_> = n.problems("name").into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["name.zh-Hant", "name.en"]);
        assert!(Names::new("悠氹仔", "Arraial na Taipa", "Taipa Village")
            .problems("name")
            .is_empty());
    }

    #[test]
    fn json_uses_language_tags() {
        let n = Names::new("關前薈", "Arraial", "Fair");
        assert_eq!(
            n.to_json(),
            r#"{"zh-Hant":"關前薈","pt":"Arraial","en":"Fair"}"#
        );
        assert_eq!(Names::from_json(&n.to_json()), n);
    }
}
