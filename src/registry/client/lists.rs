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

impl<F: Fetch, C: Fn() -> u64> Client<F, C> {
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
            |body| serde_json::from_slice::<TagsPage>(body).map(|p| p.tags.unwrap_or_default()),
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
            let mut response = self
                .send(endpoint, Method::Get, url.clone(), Headers::new(), scope)
                .await?;
            if !(200..300).contains(&response.status) {
                return Err(self.error_from(endpoint.host(), object, response).await);
            }
            let next = response.headers.get("link").and_then(next_link);
            let body = read_to_end(&mut response.body, MAX_MANIFEST_BYTES)
                .await
                .map_err(|source| RegistryError::Fetch {
                    registry: endpoint.host().to_owned(),
                    source,
                })?;
            items.extend(read(&body).map_err(|e| RegistryError::Status {
                registry: endpoint.host().to_owned(),
                status: response.status,
                object: object.to_owned(),
                message: format!("unreadable listing: {e}"),
            })?);
            match next {
                Some(target) => url = endpoint.resolve_link(&target),
                None => return Ok(items),
            }
        }
        Ok(items)
    }
}
