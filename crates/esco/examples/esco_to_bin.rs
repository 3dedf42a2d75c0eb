//! Read the official ESCO CSV export and write the compact binary form,
//! printing what the import tolerated and how long each step took.
//!
//! ```text
//! cargo run --release -p esco --features csv-import --example esco_to_bin -- \
//!     ../shared/data/esco /tmp/esco.bin
//! ```

use std::path::PathBuf;
use std::time::Instant;

use esco::Taxonomy;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let input = PathBuf::from(
        args.next()
            .ok_or("usage: esco_to_bin <esco dir> [out.bin]")?,
    );
    let output = args.next().map(PathBuf::from);

    let started = Instant::now();
    let (taxonomy, report) = Taxonomy::import_esco_csv(&input)?;
    let import = started.elapsed();
    println!(
        "{}: {} skills, {} groups, {} occupations, {} occupation-skill relations ({import:.2?})",
        taxonomy.version,
        taxonomy.skills.len(),
        taxonomy.groups.len(),
        taxonomy.occupations.len(),
        taxonomy.occupation_skills.len()
    );
    println!(
        "tolerated: {} skills without type, {} without reuse level, {} groups from the hierarchy file, \
         {} group codes from ISCED-F URIs, {} of {} relation rows to unknown occupations {:?}",
        report.skills_without_type.len(),
        report.skills_without_reuse_level.len(),
        report.groups_from_hierarchy.len(),
        report.group_codes_from_uri,
        report.dropped_relations,
        report.relation_rows,
        report.unknown_occupations
    );

    let started = Instant::now();
    let bytes = taxonomy.to_bytes()?;
    let encode = started.elapsed();
    let started = Instant::now();
    let back = Taxonomy::from_bytes(&bytes)?;
    let decode = started.elapsed();
    assert!(back == taxonomy, "round trip changed the taxonomy");
    println!(
        "binary form: {} bytes (encode {encode:.2?}, decode {decode:.2?})",
        bytes.len()
    );
    if let Some(output) = output {
        std::fs::write(&output, &bytes)?;
        println!("wrote {}", output.display());
    }
    Ok(())
}
