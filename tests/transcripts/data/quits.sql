print("before quit")
.quit
print("not reached")
