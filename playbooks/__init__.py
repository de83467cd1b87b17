"""Playbook packs: YAML data in `packs/`, the pydantic model, loader, schema and CLI.

Entry points: `playbooks.loader.load_pack`, `playbooks.model.Pack`,
`playbooks.wording.find_avoided_phrases`, `playbooks.cli.validate_command`.
The format is described in FORMAT.md.
"""
