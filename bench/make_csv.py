"""A CSV of N valid contacts (phone, name, email, tags, metadata) on stdout."""
import sys
n = int(sys.argv[1])
out = sys.stdout
out.write("phone,name,email,tags,metadata\n")
for i in range(n):
    out.write(f'+1628{2000000 + i},"Import, {i}",i{i}@example.com,"vip, t{i % 20}","{{""ltv"": {i}.50}}"\n')
