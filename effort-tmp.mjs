import sharp from 'sharp';
sharp.cache(false); sharp.concurrency(1);
const D='/usr/lib/python3/dist-packages/skimage/data/';
const photos=['astronaut.png','chelsea.png','coffee.png','rocket.jpg','motorcycle_left.png','hubble_deep_field.jpg','retina.jpg'];
const res={};
for (const h of [200,400]) for (const p of photos) {
  const raw = await sharp(D+p).resize({height:h}).raw().toBuffer({resolveWithObject:true});
  const input=()=>sharp(raw.data,{raw:{width:raw.info.width,height:raw.info.height,channels:raw.info.channels}});
  const cfgs={jpeg:i=>i.jpeg({quality:82,mozjpeg:true}), webp80:i=>i.webp({quality:80}), webp75:i=>i.webp({quality:75})};
  for (const e of [0,2,3,4,5]) for (const q of [50]) cfgs[`avif q${q} e${e}`]=i=>i.avif({quality:q,effort:e});
  for (const [k,f] of Object.entries(cfgs)) {
    const t=process.hrtime.bigint(); let b;
    for (let r=0;r<2;r++) b=await f(input()).toBuffer();
    const ms=Number(process.hrtime.bigint()-t)/2e6;
    const a=(res[`${h} ${k}`]??={bytes:0,ms:0}); a.bytes+=b.length; a.ms+=ms;
  }
}
for (const [k,v] of Object.entries(res)) console.log(k.padEnd(18), 'bytes', (v.bytes/photos.length).toFixed(0).padStart(6), 'ms', (v.ms/photos.length).toFixed(1));
