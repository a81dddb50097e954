//! A department's document library over HTTP: the libraries the caller may open, a library's
//! top and its folders, a new folder, sharing a folder with another department (and stopping),
//! a new document, one document with its versions and links, check-out, check-in, release,
//! links into tasks and cases, and each version's file.

use super::common::{parse, rfc3339, user};
use super::documents::{check_in_file, content, version_json, CheckInJson, VersionJson};
use crate::ctx::{Ctx, Cx};
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_domain::DomainError;
use okienko_services::cases::documents::MAX_DOCUMENT_BYTES;
use okienko_services::library::{LibraryDocumentView, LibraryPlace};
use okienko_store::{LibraryDocument, LibraryFolder, LibraryShare};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    // A version travels base64 in JSON: a third more than the file, and some room.
    let limit = axum::extract::DefaultBodyLimit::max(MAX_DOCUMENT_BYTES / 3 * 4 + 64 * 1024);
    Router::new()
        .route("/api/v1/library", get(index))
        .route("/api/v1/offices/{id}/departments/{dept}/library", get(top))
        .route("/api/v1/library/folders", post(add_folder))
        .route(
            "/api/v1/library/folders/{id}",
            get(folder).patch(rename_folder).delete(remove_folder),
        )
        .route("/api/v1/library/folders/{id}/shares", post(share))
        .route("/api/v1/library/folders/{id}/unshare", post(unshare))
        .route("/api/v1/library/documents", post(add_document).layer(limit))
        .route(
            "/api/v1/library/documents/{id}",
            get(document).patch(retitle).delete(remove_document),
        )
        .route("/api/v1/library/documents/{id}/checkout", post(check_out))
        .route(
            "/api/v1/library/documents/{id}/checkin",
            post(check_in).layer(limit),
        )
        .route("/api/v1/library/documents/{id}/release", post(release))
        .route("/api/v1/library/documents/{id}/links", post(link))
        .route("/api/v1/library/documents/{id}/unlink", post(unlink))
        .route("/api/v1/library/documents/{id}/versions/{n}", get(file))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        index,
        top,
        folder,
        rename_folder,
        remove_folder,
        add_folder,
        share,
        unshare,
        add_document,
        document,
        retitle,
        remove_document,
        check_out,
        check_in,
        release,
        link,
        unlink,
        file
    ),
    components(schemas(
        FolderNameJson,
        TitleJson,
        LibrariesJson,
        LibraryJson,
        SharedFolderJson,
        PlaceJson,
        FolderJson,
        ShareJson,
        LibraryDocumentJson,
        LinkJson,
        NewFolderJson,
        ShareInputJson,
        DepartmentInputJson,
        NewLibraryDocumentJson,
        TargetJson
    ))
)]
pub struct Doc;

/// A department's library.
#[derive(Serialize, ToSchema)]
pub struct LibraryJson {
    office_id: String,
    department_id: String,
    name: String,
}

/// A folder another department shares with the caller's: `level` `read` or `edit`.
#[derive(Serialize, ToSchema)]
pub struct SharedFolderJson {
    folder: FolderJson,
    level: String,
}

/// The libraries the caller may open.
#[derive(Serialize, ToSchema)]
pub struct LibrariesJson {
    departments: Vec<LibraryJson>,
    shared: Vec<SharedFolderJson>,
}

#[derive(Serialize, ToSchema)]
pub struct FolderJson {
    id: String,
    office_id: String,
    department_id: String,
    /// None at the library's top.
    parent_id: Option<String>,
    name: String,
}

/// Whom a folder is shared with: `level` `read` or `edit`.
#[derive(Serialize, ToSchema)]
pub struct ShareJson {
    department_id: String,
    department_name: String,
    level: String,
    shared_at: String,
}

/// A task (`kind` `task`) or a case (`case`) a document is linked into.
#[derive(Serialize, ToSchema)]
pub struct LinkJson {
    kind: String,
    id: String,
    label: String,
}

/// A library document; `versions` and `links` only where one document is answered.
#[derive(Serialize, ToSchema)]
pub struct LibraryDocumentJson {
    id: String,
    office_id: String,
    department_id: String,
    folder_id: Option<String>,
    title: String,
    /// Who has it checked out, by name; none when nobody does.
    holder: Option<String>,
    held_since: Option<String>,
    version_count: i64,
    versions: Vec<VersionJson>,
    links: Vec<LinkJson>,
    /// The caller may check it out and in, and link it.
    may_edit: bool,
}

/// A place of a library (its top, or a folder): what is in it, and whom it is shared with
/// (for the department's own people).
#[derive(Serialize, ToSchema)]
pub struct PlaceJson {
    office_id: String,
    department_id: String,
    department_name: String,
    /// The folders down to this one (last), from the first the caller may open.
    trail: Vec<FolderJson>,
    folders: Vec<FolderJson>,
    documents: Vec<LibraryDocumentJson>,
    may_edit: bool,
    shares: Vec<ShareJson>,
}

/// A new folder: in `parent` (a folder's id) or at the top of the department's library.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFolderJson {
    office: String,
    department: String,
    parent: Option<String>,
    name: String,
}

/// A folder's new name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FolderNameJson {
    name: String,
}

/// A document's new title.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TitleJson {
    title: String,
}

/// Sharing with a department of the same office: `level` `read` or `edit`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareInputJson {
    department: String,
    level: String,
}

/// A department (its id).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentInputJson {
    department: String,
}

/// A document to add: in `folder` or at the top of the department's library, with its first
/// version (`content`, base64).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLibraryDocumentJson {
    office: String,
    department: String,
    folder: Option<String>,
    title: String,
    name: String,
    content: String,
}

/// A task or case: `task:<id>` or `case:<id>`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetJson {
    target: String,
}

fn folder_json(f: LibraryFolder) -> FolderJson {
    FolderJson {
        id: f.id,
        office_id: f.office_id,
        department_id: f.department_id,
        parent_id: f.parent_id,
        name: f.name,
    }
}

fn share_json(s: LibraryShare) -> ShareJson {
    ShareJson {
        department_id: s.department_id,
        department_name: s.department_name,
        level: s.level,
        shared_at: rfc3339(s.shared_at),
    }
}

fn document_json(d: LibraryDocument, may_edit: bool) -> LibraryDocumentJson {
    LibraryDocumentJson {
        id: d.id,
        office_id: d.office_id,
        department_id: d.department_id,
        folder_id: d.folder_id,
        title: d.title,
        holder: d.holder_name,
        held_since: d.held_since.map(rfc3339),
        version_count: d.versions,
        versions: Vec::new(),
        links: Vec::new(),
        may_edit,
    }
}

fn place_json(p: LibraryPlace) -> PlaceJson {
    let may_edit = p.may_edit;
    PlaceJson {
        office_id: p.department.office_id,
        department_id: p.department.id,
        department_name: p.department.name,
        trail: p.trail.into_iter().map(folder_json).collect(),
        folders: p.folders.into_iter().map(folder_json).collect(),
        documents: p
            .documents
            .into_iter()
            .map(|d| document_json(d, may_edit))
            .collect(),
        may_edit,
        shares: p.shares.into_iter().map(share_json).collect(),
    }
}

fn view_json(v: LibraryDocumentView) -> LibraryDocumentJson {
    LibraryDocumentJson {
        versions: v.versions.into_iter().map(version_json).collect(),
        links: v
            .links
            .into_iter()
            .map(|l| LinkJson {
                kind: l.kind.as_str().into(),
                id: l.id,
                label: l.label,
            })
            .collect(),
        ..document_json(v.document, v.may_edit)
    }
}

fn api(ctx: &Ctx) -> impl Fn(DomainError) -> ApiError + '_ {
    move |e| ApiError(e, ctx.lang)
}

/// One document as the caller may see it.
async fn answer(state: &State, ctx: &Ctx, id: &str) -> Result<Json<LibraryDocumentJson>, ApiError> {
    let p = ctx
        .principal
        .as_ref()
        .ok_or(ApiError(DomainError::Unauthenticated, ctx.lang))?;
    let v = state
        .services
        .library_document_view(p, id)
        .await
        .map_err(api(ctx))?;
    Ok(Json(view_json(v)))
}

/// The libraries the caller may open: their departments' and the folders shared with them.
#[utoipa::path(get, path = "/api/v1/library", security(("bearer" = [])),
    responses((status = 200, body = LibrariesJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn index(Cx(state, ctx): Cx) -> Result<Json<LibrariesJson>, ApiError> {
    let p = user(&ctx)?;
    let i = state.services.libraries(p).await.map_err(api(&ctx))?;
    Ok(Json(LibrariesJson {
        departments: i
            .departments
            .into_iter()
            .map(|d| LibraryJson {
                office_id: d.office_id,
                department_id: d.id,
                name: d.name,
            })
            .collect(),
        shared: i
            .shared
            .into_iter()
            .map(|(s, f)| SharedFolderJson {
                folder: folder_json(f),
                level: s.level,
            })
            .collect(),
    }))
}

/// The top of a department's library.
#[utoipa::path(get, path = "/api/v1/offices/{id}/departments/{dept}/library", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id"),
        ("dept" = String, Path, description = "the department's id")),
    responses((status = 200, body = PlaceJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn top(
    Cx(state, ctx): Cx,
    Path((office, dept)): Path<(String, String)>,
) -> Result<Json<PlaceJson>, ApiError> {
    let p = user(&ctx)?;
    let place = state
        .services
        .library_top(p, &office, &dept)
        .await
        .map_err(api(&ctx))?;
    Ok(Json(place_json(place)))
}

/// A folder: what is in it, and whom it is shared with.
#[utoipa::path(get, path = "/api/v1/library/folders/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the folder's id")),
    responses((status = 200, body = PlaceJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn folder(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<PlaceJson>, ApiError> {
    let p = user(&ctx)?;
    let place = state
        .services
        .library_folder(p, &id)
        .await
        .map_err(api(&ctx))?;
    Ok(Json(place_json(place)))
}

/// Renames a folder of the caller's own department (one name once in a place).
#[utoipa::path(patch, path = "/api/v1/library/folders/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the folder's id")), request_body = FolderNameJson,
    responses((status = 200, body = PlaceJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn rename_folder(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<PlaceJson>, ApiError> {
    let p = user(&ctx)?;
    let b: FolderNameJson = parse(&ctx, &body)?;
    let s = &state.services;
    s.rename_library_folder(p, &id, &b.name)
        .await
        .map_err(api(&ctx))?;
    let place = s.library_folder(p, &id).await.map_err(api(&ctx))?;
    Ok(Json(place_json(place)))
}

/// Removes an empty folder of the caller's own department (its shares end with it).
#[utoipa::path(delete, path = "/api/v1/library/folders/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the folder's id")),
    responses((status = 204, description = "removed"), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn remove_folder(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .remove_library_folder(p, &id)
        .await
        .map_err(api(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes a folder (six deep at most; one name once in a place).
#[utoipa::path(post, path = "/api/v1/library/folders", security(("bearer" = [])), request_body = NewFolderJson,
    responses((status = 201, body = FolderJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_folder(
    Cx(state, ctx): Cx,
    body: Bytes,
) -> Result<(StatusCode, Json<FolderJson>), ApiError> {
    let p = user(&ctx)?;
    let b: NewFolderJson = parse(&ctx, &body)?;
    let f = state
        .services
        .add_library_folder(p, &b.office, &b.department, b.parent.as_deref(), &b.name)
        .await
        .map_err(api(&ctx))?;
    Ok((StatusCode::CREATED, Json(folder_json(f))))
}

/// Shares a folder (with all inside it) with another department of the office, or changes the
/// level it is shared at; for the folder's own department. Whom it is shared with now.
#[utoipa::path(post, path = "/api/v1/library/folders/{id}/shares", security(("bearer" = [])),
    params(("id" = String, Path, description = "the folder's id")), request_body = ShareInputJson,
    responses((status = 200, body = Vec<ShareJson>), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn share(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Vec<ShareJson>>, ApiError> {
    let p = user(&ctx)?;
    let b: ShareInputJson = parse(&ctx, &body)?;
    let s = &state.services;
    s.share_library_folder(p, &id, &b.department, &b.level)
        .await
        .map_err(api(&ctx))?;
    let place = s.library_folder(p, &id).await.map_err(api(&ctx))?;
    Ok(Json(place.shares.into_iter().map(share_json).collect()))
}

/// Stops sharing a folder with a department. Whom it is shared with now.
#[utoipa::path(post, path = "/api/v1/library/folders/{id}/unshare", security(("bearer" = [])),
    params(("id" = String, Path, description = "the folder's id")), request_body = DepartmentInputJson,
    responses((status = 200, body = Vec<ShareJson>), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn unshare(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Vec<ShareJson>>, ApiError> {
    let p = user(&ctx)?;
    let b: DepartmentInputJson = parse(&ctx, &body)?;
    let s = &state.services;
    s.unshare_library_folder(p, &id, &b.department)
        .await
        .map_err(api(&ctx))?;
    let place = s.library_folder(p, &id).await.map_err(api(&ctx))?;
    Ok(Json(place.shares.into_iter().map(share_json).collect()))
}

/// Adds a document with its first version (at most 20 MB).
#[utoipa::path(post, path = "/api/v1/library/documents", security(("bearer" = [])), request_body = NewLibraryDocumentJson,
    responses((status = 201, body = LibraryDocumentJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn add_document(
    Cx(state, ctx): Cx,
    body: Bytes,
) -> Result<(StatusCode, Json<LibraryDocumentJson>), ApiError> {
    let p = user(&ctx)?;
    let b: NewLibraryDocumentJson = parse(&ctx, &body)?;
    let bytes = content(&ctx, &b.content)?;
    let d = state
        .services
        .upload_library_document(
            p,
            &b.office,
            &b.department,
            b.folder.as_deref(),
            &b.title,
            &b.name,
            bytes,
        )
        .await
        .map_err(api(&ctx))?;
    Ok((StatusCode::CREATED, answer(&state, &ctx, &d.id).await?))
}

/// One document with its versions and the tasks and cases it is linked into.
#[utoipa::path(get, path = "/api/v1/library/documents/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id")),
    responses((status = 200, body = LibraryDocumentJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn document(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<LibraryDocumentJson>, ApiError> {
    user(&ctx)?;
    answer(&state, &ctx, &id).await
}

/// Gives the document a new title.
#[utoipa::path(patch, path = "/api/v1/library/documents/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id")), request_body = TitleJson,
    responses((status = 200, body = LibraryDocumentJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn retitle(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<LibraryDocumentJson>, ApiError> {
    let p = user(&ctx)?;
    let b: TitleJson = parse(&ctx, &body)?;
    state
        .services
        .retitle_library_document(p, &id, &b.title)
        .await
        .map_err(api(&ctx))?;
    answer(&state, &ctx, &id).await
}

/// Removes a document added by mistake, with its versions: refused while someone holds it
/// or it is linked into a task or a case.
#[utoipa::path(delete, path = "/api/v1/library/documents/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id")),
    responses((status = 204, description = "removed"), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn remove_document(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .remove_library_document(p, &id)
        .await
        .map_err(api(&ctx))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks the document out to the caller; refused while anyone holds it.
#[utoipa::path(post, path = "/api/v1/library/documents/{id}/checkout", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id")),
    responses((status = 200, body = LibraryDocumentJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn check_out(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<LibraryDocumentJson>, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .check_out_library_document(p, &id)
        .await
        .map_err(api(&ctx))?;
    answer(&state, &ctx, &id).await
}

/// Checks the document in (its holder only), with a new version or without one.
#[utoipa::path(post, path = "/api/v1/library/documents/{id}/checkin", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id")), request_body = CheckInJson,
    responses((status = 200, body = LibraryDocumentJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn check_in(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<LibraryDocumentJson>, ApiError> {
    let p = user(&ctx)?;
    let file = check_in_file(&ctx, &body)?;
    state
        .services
        .check_in_library_document(p, &id, file)
        .await
        .map_err(api(&ctx))?;
    answer(&state, &ctx, &id).await
}

/// Releases a check-out without a new version: the holder, or the head of the office.
#[utoipa::path(post, path = "/api/v1/library/documents/{id}/release", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id")),
    responses((status = 200, body = LibraryDocumentJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn release(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<LibraryDocumentJson>, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .release_library_document(p, &id)
        .await
        .map_err(api(&ctx))?;
    answer(&state, &ctx, &id).await
}

/// Links the document into one of the caller's active tasks or their departments' open
/// cases; whoever may see that task or case may then read it.
#[utoipa::path(post, path = "/api/v1/library/documents/{id}/links", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id")), request_body = TargetJson,
    responses((status = 200, body = LibraryDocumentJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn link(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<LibraryDocumentJson>, ApiError> {
    let p = user(&ctx)?;
    let b: TargetJson = parse(&ctx, &body)?;
    state
        .services
        .link_library_document(p, &id, &b.target)
        .await
        .map_err(api(&ctx))?;
    answer(&state, &ctx, &id).await
}

/// Takes a link of the document away.
#[utoipa::path(post, path = "/api/v1/library/documents/{id}/unlink", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id")), request_body = TargetJson,
    responses((status = 200, body = LibraryDocumentJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn unlink(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<LibraryDocumentJson>, ApiError> {
    let p = user(&ctx)?;
    let b: TargetJson = parse(&ctx, &body)?;
    state
        .services
        .unlink_library_document(p, &id, &b.target)
        .await
        .map_err(api(&ctx))?;
    answer(&state, &ctx, &id).await
}

/// A version's file (`n` 0 for the latest).
#[utoipa::path(get, path = "/api/v1/library/documents/{id}/versions/{n}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id"), ("n" = i64, Path, description = "the version's number, 0 for the latest")),
    responses((status = 200, description = "the file"), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn file(
    Cx(state, ctx): Cx,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let n: i64 = n
        .parse()
        .map_err(|_| ApiError(DomainError::NotFound, ctx.lang))?;
    let (v, bytes) = state
        .services
        .library_file(p, &id, n)
        .await
        .map_err(api(&ctx))?;
    Ok(crate::downloads::version(v, bytes))
}
