"""firstpatch.patch"""
