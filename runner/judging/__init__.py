"""Services that give a verdict on text: the local embedding model, the LLM judge client, word-
level similarity. They know nothing of scenarios.
"""
