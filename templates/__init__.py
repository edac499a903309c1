"""Sheet specs (YAML): one declaration per sheet drives the writer, the reader and the schema."""
