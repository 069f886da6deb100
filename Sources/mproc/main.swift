print("mproc")
