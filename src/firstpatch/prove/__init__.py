"""firstpatch.prove"""
