"""firstpatch.inventory"""
