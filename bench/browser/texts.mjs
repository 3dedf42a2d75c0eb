// The text both engines see (scripts/bench-browser). One sentence of ~25
// tokens (the same as scripts/bench-onnx.py), and a 25-sentence job post of
// ~400 words that serves both as the encode-only batch and as the post the
// real worker highlights.

export const SINGLE =
  "We are looking for an experienced data engineer to build reliable pipelines " +
  "with Python, SQL and Apache Spark in Berlin.";

export const POST_SENTENCES = [
  "Senior Data Engineer (m/f/d), full time, Berlin or remote within Germany, starting as soon as possible.",
  "You will design, build and maintain scalable data pipelines in Python and SQL for our analytics platform.",
  "Experience with Apache Spark, Kafka and cloud platforms such as AWS or Azure is required.",
  "You collaborate closely with data scientists and product managers to deliver reliable, well documented datasets.",
  "Together with the platform team you operate our data warehouse on Snowflake and plan its capacity.",
  "You write clean, tested code and review the pull requests of your colleagues with care.",
  "Strong communication skills and the ability to explain technical topics to non-technical stakeholders are essential.",
  "Familiarity with Docker, Kubernetes and CI/CD pipelines, ideally with GitLab or GitHub Actions, is a plus.",
  "You take ownership of data quality, monitoring and alerting for the pipelines you build, and you join the on-call rotation once a month.",
  "Knowledge of data modelling, dimensional design and SQL performance tuning helps you in this role.",
  "You mentor junior engineers, give constructive feedback and share what you learn in internal workshops and brown-bag sessions.",
  "Our stack includes Airflow for orchestration, dbt for transformations and Terraform for infrastructure as code.",
  "You analyse business requirements and translate them into technical specifications.",
  "Experience with machine learning pipelines, feature stores or model deployment is welcome.",
  "You help us comply with data protection regulations such as the GDPR and document how personal data flows through our systems.",
  "A degree in computer science, mathematics or a related field, or equivalent practical experience, is expected.",
  "At least five years of professional experience in software or data engineering.",
  "You are comfortable working in an agile, cross-functional team with Scrum, two-week sprints and regular retrospectives.",
  "Problem solving, attention to detail and a structured way of working describe you well.",
  "Fluent English, written and spoken, is required; German is an advantage but not a must.",
  "We offer flexible working hours, a yearly training budget and 30 days of paid holiday.",
  "You will present results to management, estimate the effort of new projects and contribute to our technical roadmap.",
  "Basic knowledge of statistics and experience with visualisation tools such as Tableau or Power BI is a plus.",
  "You enjoy automating repetitive tasks with shell scripts and improving developer tooling.",
  "Please send your CV, a short cover letter and your earliest starting date through our careers page; we answer every application within two weeks.",
];

export const POST = POST_SENTENCES.join(" ");

// Sentences for the cross-engine cosine check (same model family?).
export const COSINE_SENTENCES = [
  SINGLE,
  "Strong communication skills are essential.",
  "Manage a team of nurses in a busy hospital ward.",
  "Knowledge of accounting principles and tax law.",
  "You operate forklifts and keep the warehouse tidy.",
];
