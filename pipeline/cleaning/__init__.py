"""Pure text logic: decoding, parsing, cleaning, sections, language. Never imports dagster."""
