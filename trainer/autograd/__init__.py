"""Part I of the lesson: the graph autograd records, for an expression or for the current model.

`expression` reads the learner's text (a parser, never eval); `graph` evaluates it with torch and
walks what torch recorded; `network_graph` does the same walk for a model on one training example.
"""
