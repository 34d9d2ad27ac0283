//! Listings: a repository's tags and the registry's catalog, following
//! `Link` pagination (bounded).

use super::*;

#[derive(serde::Deserialize)]
struct TagsPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct CatalogPage {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

/// One page of a repository's tags.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagPage {
    /// The tags on this page, as the registry listed them.
    pub tags: Vec<String>,
    /// The URL of the next page (`Link: <…>; rel="next"`), when there is one
    /// on the same registry.
    pub next: Option<String>,
}

impl<F: Fetch, C: Fn() -> u64> Client<F, C> {
    /// One page of a repository's tags: the first (`url` = `None`, at most
    /// `page_size` tags when given) or the one a previous page's
    /// [`TagPage::next`] named. A next link to another host is not
    /// followed (it would carry the token elsewhere): the list ends there.
    pub async fn tags_page(
        &self,
        reference: &Reference,
        url: Option<&str>,
        page_size: Option<u32>,
    ) -> Result<TagPage, RegistryError> {
        let endpoint = self.endpoint(reference);
        let first = endpoint.tags_url(reference.path(), page_size);
        let same_registry = |u: &str| u.starts_with(&endpoint.url("/"));
        let url = match url {
            Some(u) if same_registry(u) => u.to_owned(),
            _ => first,
        };
        let object = format!("tags of {}", reference.name());
        let scope = pull_scope(reference.path());
        let (tags, next) = self
            .page(&endpoint, url, &scope, &object, read_tags)
            .await?;
        let next = next
            .map(|t| endpoint.resolve_link(&t))
            .filter(|u| same_registry(u));
        Ok(TagPage { tags, next })
    }

    /// Every tag of a repository, following `Link` pagination (bounded).
    pub async fn tags(
        &self,
        reference: &Reference,
        page_size: Option<u32>,
    ) -> Result<Vec<String>, RegistryError> {
        let endpoint = self.endpoint(reference);
        let first = endpoint.tags_url(reference.path(), page_size);
        let object = format!("tags of {}", reference.name());
        self.pages(
            &endpoint,
            first,
            &pull_scope(reference.path()),
            &object,
            read_tags,
        )
        .await
    }

    /// The repositories of a registry (`/v2/_catalog`), following `Link`
    /// pagination; most public registries refuse it (an error then).
    pub async fn catalog(
        &self,
        endpoint: &Endpoint,
        page_size: Option<u32>,
    ) -> Result<Vec<String>, RegistryError> {
        let first = endpoint.catalog_url(page_size);
        self.pages(
            endpoint,
            first,
            "registry:catalog:*",
            "the catalog",
            |body| {
                serde_json::from_slice::<CatalogPage>(body)
                    .map(|p| p.repositories.unwrap_or_default())
            },
        )
        .await
    }

    /// Fetches `first` and every `rel="next"` page after it (at most
    /// [`MAX_TAG_PAGES`]), collecting what `read` finds in each body.
    async fn pages(
        &self,
        endpoint: &Endpoint,
        first: String,
        scope: &str,
        object: &str,
        read: impl Fn(&[u8]) -> Result<Vec<String>, serde_json::Error>,
    ) -> Result<Vec<String>, RegistryError> {
        let mut url = first;
        let mut items = Vec::new();
        for _ in 0..MAX_TAG_PAGES {
            let (page, next) = self.page(endpoint, url, scope, object, &read).await?;
            items.extend(page);
            match next {
                Some(target) => url = endpoint.resolve_link(&target),
                None => return Ok(items),
            }
        }
        Ok(items)
    }

    /// One page of a listing: what `read` finds in its body, and its
    /// `rel="next"` link target as written (not yet resolved).
    async fn page(
        &self,
        endpoint: &Endpoint,
        url: String,
        scope: &str,
        object: &str,
        read: impl Fn(&[u8]) -> Result<Vec<String>, serde_json::Error>,
    ) -> Result<(Vec<String>, Option<String>), RegistryError> {
        let mut response = self
            .send(endpoint, Method::Get, url, Headers::new(), scope)
            .await?;
        if !(200..300).contains(&response.status) {
            return Err(self.error_from(endpoint.host(), object, response).await);
        }
        let next = response.headers.get("link").and_then(next_link);
        let body = exchange::read_body(endpoint.host(), &mut response, MAX_MANIFEST_BYTES).await?;
        let items = read(&body).map_err(|e| RegistryError::Status {
            registry: endpoint.host().to_owned(),
            status: response.status,
            object: object.to_owned(),
            message: format!("unreadable listing: {e}"),
        })?;
        Ok((items, next))
    }
}

/// The tags of a `tags/list` page (`null` is none).
fn read_tags(body: &[u8]) -> Result<Vec<String>, serde_json::Error> {
    serde_json::from_slice::<TagsPage>(body).map(|p| p.tags.unwrap_or_default())
}
