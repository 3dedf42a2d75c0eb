//! The tagger worker's half of a highlight: segments → words → tokens → the
//! encoder's layers up to the tagger's branch → the tagger → word tags. A
//! second thread or Web Worker runs it while the highlighter encodes and
//! links the same text ([`crate::highlight::Highlighter::highlight_encoded`]).

use skillmark_model::weights::ByteSource;
use skillmark_model::Precision;
use skillmark_schema::Segment;

use crate::assets::{AssetBytes, Manifest, ENCODER, TAGGER, TOKENIZER};
use crate::encoder_pass::tag_windows;
use crate::segments::valid_segments;
use crate::tagger::{tagger_for_encoder, Tagger};
use crate::tags::WordTags;
use crate::Error;

/// The span tagger alone (encoder layers up to its branch, then its own
/// layers): what a second Web Worker runs so that tagging and the ranker's
/// encoding of the same text proceed in parallel
/// ([`Highlighter::highlight_segments_with_tags`]). Needs only the bundle's
/// tokenizer, encoder and tagger.
pub struct SpanTagger {
    pub(crate) encoder: skillmark_model::SentenceEncoder,
    pub(crate) tagger: Tagger,
}

impl SpanTagger {
    pub fn from_assets(assets: AssetBytes, precision: Precision) -> Result<Self, Error> {
        let need = |name: &str| {
            assets.optional(name).ok_or_else(|| Error::Asset {
                file: name.into(),
                message: "missing (the span tagger needs it)".into(),
            })
        };
        Self::from_sources(
            &assets.manifest,
            need(TOKENIZER)?,
            need(ENCODER)?,
            need(TAGGER)?,
            precision,
        )
    }

    /// As [`Self::from_assets`], with the encoder and tagger files read from
    /// `encoder` and `tagger` a tensor at a time (each verified against the
    /// manifest first, a chunk at a time): a Web Worker passes views of its
    /// JS buffers, so neither file is ever copied whole into its wasm memory,
    /// which never shrinks. The encoder keeps only the layers before the
    /// tagger's branch.
    pub fn from_sources<E, T>(
        manifest: &Manifest,
        tokenizer_json: &[u8],
        encoder: &E,
        tagger: &T,
        precision: Precision,
    ) -> Result<Self, Error>
    where
        E: ByteSource + ?Sized,
        T: ByteSource + ?Sized,
    {
        manifest.verify(TOKENIZER, tokenizer_json)?;
        manifest.verify_source(ENCODER, encoder)?;
        manifest.verify_source(TAGGER, tagger)?;
        let tagger = tagger_for_encoder(manifest, tagger, encoder, precision)?;
        let encoder = skillmark_model::SentenceEncoder::from_gguf_first_layers(
            tokenizer_json,
            encoder,
            precision,
            tagger.branch_layer,
        )?;
        Ok(SpanTagger { encoder, tagger })
    }

    /// Tags of every word window of `segments` (see
    /// [`Highlighter::highlight_segments`] for which segments count), in order.
    pub fn tag_segments(&self, text: &str, segments: &[Segment]) -> Result<Vec<WordTags>, Error> {
        tag_windows(
            &self.encoder.encoder,
            &self.encoder.tokenizer,
            &self.tagger,
            text,
            &valid_segments(text, segments),
        )
    }

    /// The matrix kernel the encoder runs.
    pub fn kernel(&self) -> skillmark_model::kernels::Kernel {
        self.encoder.encoder.kernel()
    }
}
