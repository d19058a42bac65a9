//! CloudFormation templates.
use crate::Document;
use crate::read::Ctx;

pub(crate) fn read(_ctx: &mut Ctx, _text: &str) -> Option<Document> {
    None
}
