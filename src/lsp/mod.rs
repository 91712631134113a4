//! `tier lsp`: a language server over stdio, in the style of rust-analyzer's
//! `lsp-server` (one synchronous loop, no async runtime; the decision-table
//! analysis on one worker thread). Every answer comes from the library's stages:
//! `syntax` parses, `check` and `analysis` find the problems, `fmt` formats,
//! `testing` runs the tests.

mod actions;
mod complete;
mod diagnostics;
mod document;
mod hover;
pub mod index;
mod navigate;
pub mod text;
mod worker;

use document::Document;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionProviderCapability, CodeLensOptions, CompletionOptions, ExecuteCommandOptions, HoverProviderCapability,
    InitializeParams, OneOf, PositionEncodingKind, RenameOptions, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, Url,
};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use text::Encoding;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The command a code lens runs: `[uri]` runs a file's tests, `[uri, name]` one.
pub const RUN_TESTS: &str = "tier.runTests";

/// Serves one client on stdin/stdout until it says `exit`.
pub fn run_stdio() -> Result<(), Error> {
    let (connection, io_threads) = Connection::stdio();
    serve(&connection)?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// The initialize handshake, then the message loop.
pub fn serve(connection: &Connection) -> Result<(), Error> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    let encoding = negotiate(&params);
    let result = serde_json::json!({
        "capabilities": capabilities(encoding),
        "serverInfo": ServerInfo { name: "tier".into(), version: Some(env!("CARGO_PKG_VERSION").into()) },
    });
    connection.initialize_finish(id, result)?;
    let (jobs, done) = worker::spawn();
    let mut server = Server { docs: HashMap::new(), stale: Vec::new(), encoding, connection, jobs };
    loop {
        crossbeam_channel::select! {
            recv(connection.receiver) -> message => match message {
                Ok(message) => {
                    if server.message(message)? {
                        return Ok(());
                    }
                }
                Err(_) => return Ok(()),
            },
            recv(done) -> finished => {
                if let Ok(finished) = finished {
                    server.analysed(finished)?;
                }
            }
        }
    }
}

/// Runs `f`; a bug that panics fails one request instead of ending the session.
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// UTF-8 when the client offers it (no conversion), else the protocol's UTF-16.
fn negotiate(params: &InitializeParams) -> Encoding {
    let offered = params.capabilities.general.as_ref().and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::INCREMENTAL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "/".into(), "[".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![RUN_TESTS.into()],
            ..ExecuteCommandOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

struct Server<'a> {
    docs: HashMap<Url, Document>,
    /// Documents changed since they were last checked.
    stale: Vec<Url>,
    /// The analysis worker's queue.
    jobs: crossbeam_channel::Sender<worker::Job>,
    encoding: Encoding,
    connection: &'a Connection,
}

impl Server<'_> {
    /// Handles one message from the client; true after `shutdown`.
    fn message(&mut self, message: Message) -> Result<bool, Error> {
        match message {
            Message::Request(request) => {
                if self.connection.handle_shutdown(&request)? {
                    return Ok(true);
                }
                self.refresh()?;
                let id = request.id.clone();
                let response = guarded(|| self.request(request)).unwrap_or_else(|| {
                    Response::new_err(id, ErrorCode::InternalError as i32, "tier lsp failed on this request".into())
                });
                self.connection.sender.send(Message::Response(response))?;
            }
            Message::Notification(n) => {
                let method = n.method.clone();
                match guarded(|| self.notification(n)) {
                    Some(Ok(())) => {}
                    Some(Err(e)) => eprintln!("tier lsp: ignored `{method}`: {e}"),
                    None => eprintln!("tier lsp: failed on `{method}`"),
                }
                // Changes typed faster than they are checked are checked once.
                if self.connection.receiver.is_empty() {
                    self.refresh()?;
                }
            }
            Message::Response(_) => {}
        }
        Ok(false)
    }

    /// The analysis of a document is done: publish, unless it changed since.
    fn analysed(&mut self, done: worker::Done) -> Result<(), Error> {
        let Some(doc) = self.docs.get_mut(&done.uri) else { return Ok(()) };
        if doc.version != done.version || self.stale.contains(&done.uri) {
            return Ok(());
        }
        match done.findings {
            Some(findings) => doc.set_findings(findings),
            None => eprintln!("tier lsp: the analysis of `{}` failed", done.uri),
        }
        self.publish(&done.uri)
    }

    fn notification(&mut self, n: Notification) -> Result<(), Error> {
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams = serde_json::from_value(n.params)?;
                let doc = Document::new(p.text_document.text, p.text_document.version, self.encoding);
                self.docs.insert(p.text_document.uri.clone(), doc);
                self.stale.retain(|u| *u != p.text_document.uri);
                self.stale.push(p.text_document.uri);
            }
            note::DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams = serde_json::from_value(n.params)?;
                if let Some(doc) = self.docs.get_mut(&p.text_document.uri) {
                    p.content_changes.into_iter().for_each(|c| doc.text.apply(c));
                    doc.version = p.text_document.version;
                    if !self.stale.contains(&p.text_document.uri) {
                        self.stale.push(p.text_document.uri);
                    }
                }
            }
            note::DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams = serde_json::from_value(n.params)?;
                self.docs.remove(&p.text_document.uri);
                self.stale.retain(|u| *u != p.text_document.uri);
                let clear = lsp_types::PublishDiagnosticsParams::new(p.text_document.uri, Vec::new(), None);
                self.notify::<note::PublishDiagnostics>(clear)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks the changed documents. A policy with errors is published at once;
    /// one without goes to the analysis, and is published when it is done.
    fn refresh(&mut self) -> Result<(), Error> {
        for uri in std::mem::take(&mut self.stale) {
            let Some(doc) = self.docs.get_mut(&uri) else { continue };
            match guarded(|| doc.check()) {
                Some(Some(analysis)) => {
                    let job = worker::Job { uri, version: doc.version, analysis };
                    self.jobs.send(job)?;
                }
                Some(None) => self.publish(&uri)?,
                None => eprintln!("tier lsp: failed to check `{uri}`"),
            }
        }
        Ok(())
    }

    fn publish(&self, uri: &Url) -> Result<(), Error> {
        match self.docs.get(uri) {
            Some(doc) => self.notify::<note::PublishDiagnostics>(diagnostics::publish(uri, doc)),
            None => Ok(()),
        }
    }

    fn notify<N: lsp_types::notification::Notification>(&self, params: N::Params) -> Result<(), Error> {
        let n = Notification::new(N::METHOD.into(), params);
        self.connection.sender.send(Message::Notification(n))?;
        Ok(())
    }

    fn request(&mut self, r: Request) -> Response {
        let id = r.id.clone();
        let result = match r.method.as_str() {
            req::HoverRequest::METHOD => {
                self.at::<req::HoverRequest>(r, |doc, _, pos| hover::hover(doc, doc.text.offset(pos)))
            }
            req::Completion::METHOD => self.at::<req::Completion>(r, |doc, _, pos| {
                Some(lsp_types::CompletionResponse::Array(complete::complete(doc, doc.text.offset(pos))))
            }),
            req::GotoDefinition::METHOD => self.at::<req::GotoDefinition>(r, |doc, uri, pos| {
                navigate::definition(doc, uri, doc.text.offset(pos)).map(lsp_types::GotoDefinitionResponse::Scalar)
            }),
            req::References::METHOD => self.with::<req::References>(r, |s, p| {
                let pos = p.text_document_position;
                let doc = s.doc(&pos.text_document.uri)?;
                let offset = doc.text.offset(pos.position);
                Ok(Some(navigate::references(doc, &pos.text_document.uri, offset, p.context.include_declaration)))
            }),
            req::PrepareRenameRequest::METHOD => self.with::<req::PrepareRenameRequest>(r, |s, p| {
                let doc = s.doc(&p.text_document.uri)?;
                Ok(navigate::prepare_rename(doc, doc.text.offset(p.position)))
            }),
            req::Rename::METHOD => self.with::<req::Rename>(r, |s, p| {
                let pos = p.text_document_position;
                let doc = s.doc(&pos.text_document.uri)?;
                let offset = doc.text.offset(pos.position);
                navigate::rename(doc, &pos.text_document.uri, offset, &p.new_name).map(Some)
            }),
            req::DocumentSymbolRequest::METHOD => self.with::<req::DocumentSymbolRequest>(r, |s, p| {
                let doc = s.doc(&p.text_document.uri)?;
                Ok(Some(lsp_types::DocumentSymbolResponse::Nested(navigate::symbols(doc))))
            }),
            req::Formatting::METHOD => self.with::<req::Formatting>(r, |s, p| {
                let doc = s.doc(&p.text_document.uri)?;
                Ok(actions::formatting(doc))
            }),
            req::CodeActionRequest::METHOD => self.with::<req::CodeActionRequest>(r, |s, p| {
                let doc = s.doc(&p.text_document.uri)?;
                Ok(Some(actions::code_actions(doc, &p.text_document.uri, p.range)))
            }),
            req::CodeLensRequest::METHOD => self.with::<req::CodeLensRequest>(r, |s, p| {
                let doc = s.doc(&p.text_document.uri)?;
                Ok(Some(actions::code_lens(doc, &p.text_document.uri)))
            }),
            req::ExecuteCommand::METHOD => self.with::<req::ExecuteCommand>(r, |s, p| s.execute(p)),
            _ => Err((ErrorCode::MethodNotFound, format!("unhandled method `{}`", r.method))),
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    fn doc(&self, uri: &Url) -> Result<&Document, Failure> {
        self.docs.get(uri).ok_or_else(|| (ErrorCode::InvalidParams, format!("`{uri}` is not open")))
    }

    /// Decodes a request's params, answers with `f`.
    fn with<R: lsp_types::request::Request>(
        &mut self,
        r: Request,
        f: impl FnOnce(&mut Self, R::Params) -> Result<R::Result, Failure>,
    ) -> Result<serde_json::Value, Failure>
    where
        R::Params: DeserializeOwned,
    {
        let params: R::Params =
            serde_json::from_value(r.params).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))?;
        let result = f(self, params)?;
        serde_json::to_value(result).map_err(|e| (ErrorCode::InternalError, e.to_string()))
    }

    /// A request about one position of one document.
    fn at<R>(
        &mut self,
        r: Request,
        f: impl FnOnce(&Document, &Url, lsp_types::Position) -> R::Result,
    ) -> Result<serde_json::Value, Failure>
    where
        R: lsp_types::request::Request,
        R::Params: DeserializeOwned + Into<Positioned>,
    {
        self.with::<R>(r, |s, p| {
            let Positioned(at) = p.into();
            let doc = s.doc(&at.text_document.uri)?;
            Ok(f(doc, &at.text_document.uri, at.position))
        })
    }

    fn execute(&mut self, p: lsp_types::ExecuteCommandParams) -> Result<Option<serde_json::Value>, Failure> {
        if p.command != RUN_TESTS {
            return Err((ErrorCode::InvalidParams, format!("unknown command `{}`", p.command)));
        }
        let uri: Url = p
            .arguments
            .first()
            .and_then(|a| serde_json::from_value(a.clone()).ok())
            .ok_or_else(|| (ErrorCode::InvalidParams, "expected the document's uri".to_string()))?;
        let filter = p.arguments.get(1).and_then(|a| a.as_str().map(str::to_string));
        let doc = self.doc(&uri)?;
        let (summary, report) = actions::run_tests(doc, filter.as_deref());
        let kind = if report["failed"].as_u64().is_some_and(|n| n > 0) {
            lsp_types::MessageType::ERROR
        } else {
            lsp_types::MessageType::INFO
        };
        let message = lsp_types::ShowMessageParams { typ: kind, message: summary };
        self.notify::<note::ShowMessage>(message).map_err(|e| (ErrorCode::InternalError, e.to_string()))?;
        Ok(Some(report))
    }
}

type Failure = (ErrorCode, String);

/// The document and position of hover, completion and definition requests.
pub struct Positioned(lsp_types::TextDocumentPositionParams);

impl From<lsp_types::HoverParams> for Positioned {
    fn from(p: lsp_types::HoverParams) -> Self {
        Positioned(p.text_document_position_params)
    }
}

impl From<lsp_types::CompletionParams> for Positioned {
    fn from(p: lsp_types::CompletionParams) -> Self {
        Positioned(p.text_document_position)
    }
}

impl From<lsp_types::GotoDefinitionParams> for Positioned {
    fn from(p: lsp_types::GotoDefinitionParams) -> Self {
        Positioned(p.text_document_position_params)
    }
}
