//! `skillmark._skillmark`: the compiled core of the Python package
//! (docs/PYTHON.md). One class, `Engine`, over [`skillmark::Engine`]: each
//! method takes Python strings, releases the GIL, runs in the engine's own
//! rayon pool and answers in the wire schema ([`skillmark_schema`]) as plain
//! dicts and lists (camelCase keys, as every surface). The pure-Python part
//! (`python/skillmark`) finds the bundle, assembles the Arrow batch path's
//! result and holds the Spark and Ray helpers.

use std::path::PathBuf;

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyString};
use rayon::prelude::*;
use serde::{de::DeserializeOwned, Serialize};
use skillmark::Engine;
use skillmark_schema::{CompareOptions, HighlightOptions, OccupationOptions};

mod arrow;

create_exception!(
    skillmark,
    SkillmarkError,
    PyValueError,
    "An error of the skillmark engine (a bundle that does not load, a bad option, \
     a text it cannot read), with the engine's message."
);

// The class is `frozen` and shared by Python threads, and its methods run the
// engine with the GIL released: the engine must be Send + Sync.
const _: fn() = assert_send_sync::<Engine>;
fn assert_send_sync<T: Send + Sync>() {}

fn error(e: impl std::fmt::Display) -> PyErr {
    SkillmarkError::new_err(e.to_string())
}

/// One text or a list of texts, as a method was given them.
enum Texts {
    One(String),
    Many(Vec<String>),
}

impl Texts {
    fn of(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Texts::One(s.to_str()?.to_owned()));
        }
        let not_text = || {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "expected a str or a list of str, got {}",
                obj.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        };
        let iter = obj.try_iter().map_err(|_| not_text())?;
        let mut texts = Vec::new();
        for item in iter {
            let item = item?;
            let s = item.cast::<PyString>().map_err(|_| not_text())?;
            texts.push(s.to_str()?.to_owned());
        }
        Ok(Texts::Many(texts))
    }
}

/// `snake_case` (Python's keyword style) to the wire's `camelCase`.
fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_uppercase() {
            out.push('_');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `defaults` with the keyword arguments `given` applied: each key in
/// snake_case or the wire's camelCase; an unknown key or a value of the
/// wrong type is an error naming it (serde would ignore the former).
fn options<T: Serialize + DeserializeOwned>(
    defaults: T,
    given: Option<&Bound<'_, PyDict>>,
    what: &str,
) -> PyResult<T> {
    let Some(given) = given.filter(|g| !g.is_empty()) else {
        return Ok(defaults);
    };
    let Ok(serde_json::Value::Object(mut fields)) = serde_json::to_value(&defaults) else {
        return Err(error(format!(
            "{what} options do not serialize as an object"
        )));
    };
    for (key, value) in given.iter() {
        let key: String = key.extract()?;
        let wire = camel_case(&key);
        if !fields.contains_key(&wire) {
            let known: Vec<String> = fields.keys().map(|k| snake_case(k)).collect();
            return Err(error(format!(
                "unknown {what} option {key:?} (known: {})",
                known.join(", ")
            )));
        }
        let value: serde_json::Value = json_dumps(&value)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .ok_or_else(|| error(format!("{what} option {key:?}: not a JSON value: {value}")))?;
        fields.insert(wire, value);
        // Each value checked as it is added, so the error names its key.
        serde_json::from_value::<T>(serde_json::Value::Object(fields.clone()))
            .map_err(|e| error(format!("{what} option {key:?}: {e}")))?;
    }
    serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| error(format!("{what} options: {e}")))
}

/// A result as Python objects, through its JSON text: what `json.loads`
/// makes of the CLI's output, scores included (an f32 prints as its shortest
/// decimal, `0.55`, where a cast to float would give `0.550000011920929`).
fn to_py<'py>(py: Python<'py>, value: &impl Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(|e| error(format!("result: {e}")))?;
    py.import("json")?.call_method1("loads", (text,))
}

fn json_dumps(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = value.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item("allow_nan", false)?;
    py.import("json")?
        .call_method("dumps", (value,), Some(&kwargs))?
        .extract()
}

/// The skillmark engine over one bundle, with its own pool of worker
/// threads. The Python class `skillmark.Engine` (which finds the shipped
/// bundle) derives from this one; see its docstrings.
#[pyclass(frozen, subclass, module = "skillmark._skillmark", name = "Engine")]
struct PyEngine {
    engine: Engine,
    pool: rayon::ThreadPool,
    path: PathBuf,
}

impl PyEngine {
    /// Runs `f` with the GIL released, in this engine's thread pool.
    fn run<T: Send>(&self, py: Python<'_>, f: impl FnOnce(&Engine) -> T + Send) -> T {
        py.detach(|| self.pool.install(|| f(&self.engine)))
    }
}

#[pymethods]
impl PyEngine {
    /// Loads the bundle in directory `path` (`manifest.json` and the files it
    /// lists, each checked against its sha256). `threads`: the size of this
    /// engine's worker pool (default: one per core).
    #[new]
    #[pyo3(signature = (path, threads=None))]
    fn new(py: Python<'_>, path: PathBuf, threads: Option<usize>) -> PyResult<Self> {
        if threads == Some(0) {
            return Err(error("threads must be at least 1 (None: one per core)"));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .thread_name(|i| format!("skillmark-{i}"))
            .build()
            .map_err(|e| error(format!("cannot start the thread pool: {e}")))?;
        let engine = py
            .detach(|| pool.install(|| Engine::load_dir(&path)))
            .map_err(|e| error(format!("cannot load the bundle {}: {e}", path.display())))?;
        Ok(PyEngine { engine, pool, path })
    }

    /// The bundle's directory.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The number of worker threads of this engine's pool.
    #[getter]
    fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// The matrix kernel the encoder runs (e.g. "Avx2", "Avx512Vnni").
    #[getter]
    fn kernel(&self) -> String {
        format!("{:?}", self.engine.kernel())
    }

    /// Whether the bundle has ESCO occupations.
    #[getter]
    fn has_occupations(&self) -> bool {
        self.engine.has_occupations()
    }

    /// The bundle's default highlight options (wire names, camelCase).
    fn default_options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.engine.default_options())
    }

    #[pyo3(signature = (text, **options))]
    fn highlight<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyAny>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts: HighlightOptions =
            self::options(self.engine.default_options(), options, "highlight")?;
        match Texts::of(text)? {
            Texts::One(t) => {
                let h = self.run(py, |e| e.highlight(&t, &opts)).map_err(error)?;
                to_py(py, &h)
            }
            Texts::Many(ts) => {
                let hs = self
                    .run(py, |e| {
                        ts.par_iter()
                            .map(|t| e.highlight(t, &opts))
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .map_err(error)?;
                to_py(py, &hs)
            }
        }
    }

    #[pyo3(signature = (text, k=10))]
    fn rank<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyAny>,
        k: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (texts, one) = match Texts::of(text)? {
            Texts::One(t) => (vec![t], true),
            Texts::Many(ts) => (ts, false),
        };
        let mut ranked = self
            .run(py, |e| {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                e.rank(&refs, k)
            })
            .map_err(error)?;
        if one {
            to_py(py, &ranked.pop().unwrap_or_default())
        } else {
            to_py(py, &ranked)
        }
    }

    #[pyo3(signature = (job, resume, **options))]
    fn compare<'py>(
        &self,
        py: Python<'py>,
        job: &str,
        resume: &str,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts: CompareOptions = self::options(CompareOptions::default(), options, "compare")?;
        let (job, resume) = (job.to_owned(), resume.to_owned());
        let c = self
            .run(py, |e| e.compare(&job, &resume, &opts))
            .map_err(error)?;
        to_py(py, &c)
    }

    #[pyo3(signature = (text, top_k=10, title=false, max_skills=10))]
    fn occupations<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyAny>,
        top_k: usize,
        title: bool,
        max_skills: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = OccupationOptions {
            top_k,
            title,
            max_skills,
        };
        let (texts, one) = match Texts::of(text)? {
            Texts::One(t) => (vec![t], true),
            Texts::Many(ts) => (ts, false),
        };
        let mut found = self
            .run(py, |e| {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                e.occupations(&refs, &opts)
            })
            .map_err(error)?;
        if one {
            to_py(py, &found.pop().unwrap_or_default())
        } else {
            to_py(py, &found)
        }
    }

    /// An ESCO skill by URI (`DocumentSkill`, count and score zero), or None.
    fn skill<'py>(&self, py: Python<'py>, uri: &str) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.engine.skill(uri))
    }

    /// The Arrow batch path's core: highlights each string of the Arrow
    /// array behind the two PyCapsules (Arrow C Data Interface, read in
    /// place) and returns the result's Arrow buffers by field path, which
    /// `skillmark.Engine.highlight_arrow` assembles into a StructArray.
    #[pyo3(signature = (schema, array, **options))]
    fn _highlight_arrow<'py>(
        &self,
        py: Python<'py>,
        schema: &Bound<'py, PyCapsule>,
        array: &Bound<'py, PyCapsule>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let opts: HighlightOptions =
            self::options(self.engine.default_options(), options, "highlight")?;
        // SAFETY: the capsules (and the array they export) outlive `rows`:
        // both are borrowed for this call and nothing here runs Python code
        // that could release them.
        let rows = unsafe { arrow::read_strings(schema, array)? };
        let columns = self
            .run(py, |e| {
                let results = rows
                    .par_iter()
                    .map(|r| r.map(|t| e.highlight(t, &opts)).transpose())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                arrow::Columns::build(&results)
            })
            .map_err(error)?;
        columns.into_dict(py)
    }
}

/// The compiled core of the `skillmark` package (use `skillmark`, not this).
#[pymodule]
fn _skillmark(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEngine>()?;
    m.add("SkillmarkError", m.py().get_type::<SkillmarkError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
