"""The `rawi` command (`cli.main`): the top face. It parses arguments, gets its parts from `rawi.compose`, prints."""
