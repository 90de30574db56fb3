"""Commands that analyse without writing the store: SPC of any CSV (`spc`), what works
(`practices`) and a static snapshot of a learning-session view (`snapshot`)."""
