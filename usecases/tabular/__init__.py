"""Use cases made from a table: an admin's CSV and the column to predict, without code.

`profile` reads the table and proposes the task and each input's field; the use case itself is
built from the stored proposal (a spec) rather than declared in a package.
"""
