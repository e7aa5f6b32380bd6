"""Generation backends. Each knows how to produce text and nothing about scoring."""
