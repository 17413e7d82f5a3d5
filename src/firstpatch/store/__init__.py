"""firstpatch.store"""
